import cluster from 'node:cluster';
import type { Socket } from 'node:net';
import { RateLimiterClusterMaster } from 'rate-limiter-flexible';
import type { Config } from '../config/config.js';
import { uncoordinatedInstance, unsafeTopology } from '../config/topology-rules.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { RefusalLog } from '../logging/refusal-log.js';
import { MetricsServer } from '../metrics/metrics-server.js';
import { flushTracing, stopTracing } from '../telemetry/tracing-control.js';
import { Primary, type PrimaryDeps } from './arbiter.js';
import { laneOf } from './handle-lane.js';
import { wirePolling } from './poll-wiring.js';
import { Router } from './router.js';
import { Supervisor } from './supervisor.js';
import { WorkerMetricsCollector } from './worker-metrics-collector.js';

/**
 * The primary process: supervises workers, routes connections, owns the one poller of
 * this instance and fans its snapshots out to the workers (see {@link Primary}).
 */
export async function runPrimary(config: Config): Promise<void> {
  const logger = createLogger(config, { role: 'primary' });
  const problem = unsafeTopology(config);
  if (problem) {
    logger.fatal({ event: 'unsafe_topology' }, problem);
    process.stderr.write(`${problem}\n`);
    process.exit(78);
  }
  const alone = uncoordinatedInstance(config);
  if (alone) logger.warn({ event: 'uncoordinated_instance', instance: config.INSTANCE_ID }, alone);
  if (!config.STICKY) logger.warn({ event: 'unsafe_topology_allowed' }, 'STICKY=false with ALLOW_UNSAFE_TOPOLOGY=true: polls WILL get 400 Session ID unknown');
  cluster.setupPrimary({ serialization: 'advanced' });
  await new Primary(config, primaryDeps(config, logger)).start();
}

/** The real processes, ports and poller behind a {@link Primary}. */
function primaryDeps(config: Config, logger: Logger): PrimaryDeps {
  // Workers name the same instance in their session ids as the router expects (or none).
  const workerEnv: Record<string, string> = config.SESSION_INSTANCE ? { INSTANCE_ID: config.SESSION_INSTANCE } : {};
  const supervisor = new Supervisor({
    fork: (env) => cluster.fork(env),
    env: workerEnv,
    size: config.WEB_CONCURRENCY,
    timeoutMs: config.WORKER_TIMEOUT_MS,
    gracefulMs: config.GRACEFUL_TIMEOUT_MS,
    minLifetimeMs: config.MIN_WORKER_LIFETIME_MS,
    drainWindowMs: config.DRAIN_WINDOW_MS,
    logger,
  });
  let router: Router | undefined;
  const polling = wirePolling(config, logger, supervisor, {
    openConnections: () => router?.openConnections ?? 0,
    handoffsPending: () => router?.handoffsPending ?? 0,
  });
  const collector = new WorkerMetricsCollector(supervisor);
  const metricsServer = new MetricsServer(
    { collectWorkers: (ms) => collector.collectWorkers(ms), primaryMetrics: () => polling.metrics.registry.getMetricsAsJSON() },
    logger,
  );
  return {
    logger,
    workers: supervisor,
    polling,
    collector,
    metricsServer,
    createRouter: (table) =>
      (router = new Router({
        sticky: config.STICKY,
        instance: config.SESSION_INSTANCE,
        limits: { maxConnections: config.MAX_CONNECTIONS, maxPerIp: config.MAX_CONNECTIONS_PER_IP },
        logger,
        table,
        send: (workerId, cid, socket: Socket, head, failed) => {
          const worker = supervisor.worker(workerId);
          // The lane refuses (false) when the worker's channel is closed.
          if (!worker) return false;
          return laneOf(worker.process).send({ t: 'conn', cid, head }, socket, failed);
        },
        refused: (reason) => polling.metrics.routerRefused.inc({ reason }),
        refusals: new RefusalLog(logger),
      })),
    // The workers' per-address limits count here, one memory store for all of them (address-gate.ts).
    beforeWorkers: () => void new RateLimiterClusterMaster(),
    onSignal: (signal, handler) => process.on(signal, handler),
    exit: (code) => process.exit(code),
    flushTracing,
    stopTracing,
  };
}

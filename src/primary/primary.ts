import cluster from 'node:cluster';
import type { Socket } from 'node:net';
import { setupPrimary as setupClusterAdapter } from '@socket.io/cluster-adapter';
import { RateLimiterClusterMaster } from 'rate-limiter-flexible';
import type { Config } from '../config/config.js';
import { agencyViewers } from '../demand/agency-demand.js';
import { computeDemand, viewerCount, type ViewerReport } from '../demand/demand.js';
import { LocalCoordinator, type Coordinator } from '../coordination/coordinator.js';
import { RedisCoordinator, type DropReason } from '../coordination/redis-coordinator.js';
import { createFeed } from '../feed/feed.factory.js';
import { uncoordinatedInstance, unsafeTopology } from '../http/topology.js';
import type { LostCause, WorkerMessage } from '../ipc/messages.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { RefusalLog } from '../logging/refusal-log.js';
import { MetricsServer } from '../metrics/metrics-server.js';
import { PrimaryMetrics } from '../metrics/primary-metrics.js';
import { createBudget } from '../poller/budget.factory.js';
import type { CallWindow } from '../poller/call-budget.js';
import { PollController } from '../poller/poll-controller.js';
import { VehicleStore } from '../store/vehicle-store.js';
import { traceUpstreamCall } from '../telemetry/spans.js';
import { flushTracing, stopTracing } from '../telemetry/tracing.js';
import { WorkerMetricsCollector } from './worker-metrics-collector.js';
import { Router } from './router.js';
import type { RoutingTable } from './routing.js';
import { Supervisor } from './supervisor.js';

/** Departed workers remembered (their sessions' polls are answered `ended`); older ones count as unknown. */
const MAX_GONE_WORKERS = 4096;

/** How long startup waits for every initial worker before it opens the port with those ready. */
export const WORKERS_READY_TIMEOUT_MS = 30_000;

/**
 * The primary process: supervises workers, routes connections, owns the one poller of
 * this instance and fans its snapshots out to the workers.
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
  setupClusterAdapter();

  const reports = new Map<number, ViewerReport>();
  const localDemand = () => computeDemand(reports.values(), Date.now(), 2 * config.FALLBACK_INTERVAL_MS);
  const demand = () => coordinator.demand(localDemand());
  const store = new VehicleStore();
  // Workers name the same instance in their session ids as the router expects (or none).
  const workerEnv: Record<string, string> = config.SESSION_INSTANCE ? { INSTANCE_ID: config.SESSION_INSTANCE } : {};
  const supervisor = new Supervisor({
    env: workerEnv,
    size: config.WEB_CONCURRENCY,
    timeoutMs: config.WORKER_TIMEOUT_MS,
    gracefulMs: config.GRACEFUL_TIMEOUT_MS,
    minLifetimeMs: config.MIN_WORKER_LIFETIME_MS,
    drainWindowMs: config.DRAIN_WINDOW_MS,
    logger,
  });
  const gone = new Map<number, LostCause>();
  const feed = createFeed(config);
  const { pacing, window: budget } = createBudget(config, feed.callsPerFetch ?? 1, (err) =>
    logger.warn({ err: err.message, event: 'redis_error' }, 'Redis (upstream budget) connection problem; polls wait until the shared count answers'),
  );
  const agencies = feed.agencies ?? [];
  const perAgency = agencies.length > 1 ? `; each poll asks only for the agencies being watched, so the interval is max(POLL_INTERVAL_MS, 3600 s × watched agencies ÷ UPSTREAM_BUDGET_PER_HOUR), the above with all ${agencies.length} watched` : '';
  logger.info({ event: 'upstream_budget', budgetPerHour: pacing.budgetPerHour, callsPerPoll: pacing.callsPerPoll, configuredIntervalMs: pacing.configuredIntervalMs, intervalMs: pacing.intervalMs, store: budget?.kind ?? 'none', ...(agencies.length > 1 ? { agencies } : {}) }, pacing.explanation + perAgency);
  // Starts at once and never waits for Redis; a new lease holder waits one interval (less a margin) before polling.
  const coordinator = createCoordinator(config, logger, pacing.intervalMs, (reason) => metrics.coordinationDropped.inc({ reason }));
  let poller: PollController;
  /** The leader's last successful poll, as it published it (instances sharing REDIS_URL). */
  let leaderSuccessAt: number | null = null;
  const metrics = new PrimaryMetrics(config, {
    pollerActive: () => poller.feedStatus.polling,
    viewers: () => viewerCount(localDemand()),
    // A follower never polls: its data is as fresh as the leader's last success, or the snapshot it adopted.
    lastSuccessAt: () => newest(poller.feedStatus.lastSuccessAt, leaderSuccessAt, store.snapshot?.generatedAt ?? null),
    startedAt: Date.now(),
    openConnections: () => router.openConnections,
    pacing,
    effectiveIntervalMs: () => poller.feedStatus.budget?.effectiveIntervalMs ?? pacing.intervalMs,
    unauthorized: () => poller.feedStatus.state === 'unauthorized',
    agencies: agencies.length > 0 ? { viewers: () => agencyViewers(localDemand(), agencies, Date.now()), polled: () => poller.feedStatus.watchedAgencies ?? [] } : undefined,
  });
  poller = new PollController({
    feed,
    store,
    demand,
    intervalMs: pacing.intervalMs,
    budget,
    pacing,
    graceMs: config.DEMAND_GRACE_MS,
    onUpdate: (u) => {
      supervisor.broadcast({ t: 'data', snapshot: u.snapshot, delta: u.delta });
      coordinator.publishData(u.snapshot, u.delta);
    },
    onStatus: (status) => {
      supervisor.broadcast({ t: 'feed-status', status });
      if (coordinator.isLeader()) coordinator.publishStatus(status);
    },
    onPoll: (o) => {
      metrics.upstreamRequests.inc({ feed: feed.kind, outcome: o.outcome }, o.calls);
      metrics.upstreamDuration.observe({ feed: feed.kind }, o.durationMs / 1000);
      // A refused key is said once (then probed every 15 min in silence), never with the key.
      if (o.outcome === 'unauthorized' && o.streak === 1) logger.error({ event: 'upstream_unauthorized', err: o.error?.message }, 'upstream refused the API key (401/403): polling stopped, probing every 15 minutes; set a valid FEED_API_KEY (fly secrets set FEED_API_KEY=...)');
      else if (o.error && o.outcome !== 'unauthorized') logger.warn({ event: 'upstream_failure', outcome: o.outcome, err: o.error.message, durationMs: o.durationMs }, 'upstream poll failed; serving the last good snapshot');
    },
    onDeferred: (retryAt, err) => {
      metrics.budgetDeferred.inc({ reason: err ? 'store_unavailable' : 'window_full' });
      if (err) logger.warn({ event: 'upstream_budget_unavailable', err: err.message }, 'could not check the upstream budget in Redis; not polling until it answers');
      else logger.debug({ event: 'upstream_budget_deferred', retryAt }, 'upstream budget for the rolling hour is spent; next poll when a slot frees');
    },
    trace: (run) => traceUpstreamCall(feed.kind, run),
  });

  const collector = new WorkerMetricsCollector(supervisor);
  const metricsServer = new MetricsServer(
    { collectWorkers: (ms) => collector.collectWorkers(ms), primaryMetrics: () => metrics.registry.getMetricsAsJSON() },
    logger,
  );
  const broadcastDirectory = () =>
    supervisor.broadcast({ t: 'directory', workers: supervisor.entries(), gone: Object.fromEntries(gone) });

  poller.setEnabled(false); // until the coordinator says this instance polls
  coordinator.on('leadership', (leader) => {
    const last = store.snapshot;
    if (leader && last && coordinator.versionJump > 0) store.adopt({ ...last, version: last.version + coordinator.versionJump });
    poller.setEnabled(leader);
  });
  coordinator.on('demand', () => poller.demandChanged());
  coordinator.on('data', ({ snapshot, delta }) => {
    store.adopt(snapshot);
    supervisor.broadcast({ t: 'data', snapshot, delta });
  });
  coordinator.on('state', (state) => supervisor.broadcast({ t: 'coordination', state }));
  coordinator.on('status', (status) => {
    leaderSuccessAt = newest(leaderSuccessAt, status.lastSuccessAt);
    supervisor.broadcast({ t: 'feed-status', status });
  });
  const demandChanged = () => {
    coordinator.localDemandChanged(localDemand());
    poller.demandChanged();
  };
  supervisor.on('message', (id, msg) => onWorkerMessage(id, msg));
  // The router reads this for every new connection; it changes only when workers do.
  let table: RoutingTable = { accepting: [], alive: new Set() };
  supervisor.on('change', () => {
    const entries = supervisor.entries();
    // A worker that stopped beating takes no new sessions; its own sessions still go to it.
    table = { accepting: entries.filter((e) => !e.draining && e.responsive).map((e) => e.id), alive: new Set(entries.map((e) => e.id)) };
    broadcastDirectory();
  });
  supervisor.on('restart', (reason) => metrics.workerRestarts.inc({ reason }));
  supervisor.on('boot-failure', ({ crashes, code, signal }) => {
    const why = `${crashes} workers in a row exited while booting (last: code ${code}, signal ${signal}) and none became ready; see the workers' errors above`;
    logger.fatal({ event: 'boot_failure', crashes, code, signal }, why);
    process.stderr.write(`transit tracker: ${why}\n`);
    // gunicorn's WORKER_BOOT_ERROR: the platform restarts the machine or shows the failure.
    void stopTracing(1_000).finally(() => process.exit(3));
  });
  supervisor.on('gone', (id, cause) => {
    const lastReport = reports.get(id);
    reports.delete(id);
    gone.set(id, cause);
    while (gone.size > MAX_GONE_WORKERS) gone.delete(gone.keys().next().value!);
    router.workerGone(id);
    // Drained workers count their own closed sessions; a killed one cannot.
    if ((cause === 'worker_died' || cause === 'worker_timeout') && lastReport?.sockets) {
      metrics.sessionsLost.inc({ cause }, lastReport.sockets);
    }
    void metricsServer.retire(id);
    demandChanged();
  });

  function onWorkerMessage(id: number, msg: WorkerMessage): void {
    if (msg.t === 'viewers') {
      reports.set(id, { sockets: msg.sockets, lastFallbackAt: msg.lastFallbackAt, agencies: msg.agencies });
      demandChanged();
    } else if (msg.t === 'ready') {
      const snapshot = store.snapshot;
      supervisor.send(id, { t: 'feed-status', status: poller.feedStatus });
      supervisor.send(id, { t: 'coordination', state: coordinator.state() });
      if (snapshot) supervisor.send(id, { t: 'data', snapshot });
    } else if (msg.t === 'conns') {
      if (msg.acked.length > 0) router.acknowledged(msg.acked);
      if (msg.closed.length > 0) router.closed(msg.closed);
    } else if (msg.t === 'metrics-res') {
      collector.receive(id, msg);
      if (msg.id === 0) metricsServer.remember(id, msg.metrics as never);
    }
  }

  const router = new Router({
    sticky: config.STICKY,
    instance: config.SESSION_INSTANCE,
    limits: { maxConnections: config.MAX_CONNECTIONS, maxPerIp: config.MAX_CONNECTIONS_PER_IP },
    logger,
    table: () => table,
    send: (workerId, cid, socket: Socket, head, failed) => {
      const worker = supervisor.worker(workerId);
      if (!worker?.isConnected()) return false;
      worker.send({ t: 'conn', cid, head }, socket, { keepOpen: false }, (err) => {
        if (err) failed();
      });
      return true;
    },
    refused: (reason) => metrics.routerRefused.inc({ reason }),
    refusals: new RefusalLog(logger),
  });

  await coordinator.start();
  // The workers' per-address limits count here, one memory store for all of them (address-gate.ts).
  new RateLimiterClusterMaster();
  supervisor.start();
  await waitForWorkers(supervisor, config.WEB_CONCURRENCY, logger);
  const metricsPort = await metricsServer.listen(config.METRICS_PORT, config.METRICS_HOST);
  const port = await router.listen(config.PORT, config.HOST);
  logger.info(
    { event: 'listening', port, metricsPort, workers: supervisor.readyCount(), sticky: config.STICKY, feed: feed.kind, coordination: coordinator.kind, instance: coordinator.instanceId },
    `transit tracker listening on http://${config.HOST}:${port} (metrics on ${config.METRICS_HOST}:${metricsPort})`,
  );
  installShutdown({ config, logger, supervisor, router, poller, budget, metricsServer, coordinator });
}

/** The latest of some times (ms), or null when none is known. */
function newest(...times: (number | null)[]): number | null {
  const known = times.filter((t): t is number => t !== null);
  return known.length > 0 ? Math.max(...known) : null;
}

/** One instance alone, or several sharing REDIS_URL. */
function createCoordinator(config: Config, logger: Logger, pollIntervalMs: number, onDropped: (reason: DropReason) => void): Coordinator {
  if (!config.REDIS_URL) return new LocalCoordinator(config.INSTANCE_ID);
  return new RedisCoordinator({ url: config.REDIS_URL, prefix: config.REDIS_PREFIX, instanceId: config.INSTANCE_ID, logger, pollIntervalMs, onDropped });
}

function waitForWorkers(supervisor: Supervisor, want: number, logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    let timedOut = false;
    const check = () => {
      const ready = supervisor.readyCount();
      if (ready < want && !(timedOut && ready > 0)) return;
      clearTimeout(timer);
      supervisor.off('change', check);
      resolve();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      logger.warn({ ready: supervisor.readyCount(), want }, 'not every worker became ready in time; opening the port once one is');
      check();
    }, WORKERS_READY_TIMEOUT_MS);
    supervisor.on('change', check);
  });
}

function installShutdown(p: {
  config: Config;
  logger: Logger;
  supervisor: Supervisor;
  router: Router;
  poller: PollController;
  budget: CallWindow | undefined;
  metricsServer: MetricsServer;
  coordinator: Coordinator;
}): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    p.logger.info({ signal, event: 'shutdown' }, `received ${signal}: draining workers (up to GRACEFUL_TIMEOUT_MS=${p.config.GRACEFUL_TIMEOUT_MS})`);
    p.poller.stop();
    // The primary's spans (upstream polls) leave while the workers drain, the rest at exit.
    void flushTracing(p.config.GRACEFUL_TIMEOUT_MS);
    await p.budget?.close().catch(() => undefined);
    // The public port stays open while workers drain: clients must still reach their
    // session's worker to collect its close packet (new sessions are refused with 503).
    await p.supervisor.shutdown();
    await p.coordinator.stop().catch(() => undefined);
    await Promise.race([p.router.close(), new Promise((r) => setTimeout(r, 100))]);
    await p.metricsServer.close();
    p.logger.info({ event: 'shutdown_complete' }, 'all workers exited; bye');
    await stopTracing(1_000);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

import type { EventEmitter } from 'node:events';
import type { LostCause, WorkerMessage } from '../ipc/messages.js';
import type { Logger } from '../logging/logger.js';
import type { MetricsServer } from '../metrics/metrics-server.js';
import { dispatchWorkerMessage, type WorkerMessageHandlers } from './ipc-dispatch.js';
import type { Polling } from './poll-wiring.js';
import type { Router } from './router.js';
import type { RoutingTable } from './routing.js';
import type { Supervisor, SupervisorEvents } from './supervisor.js';
import { isMetricList, type WorkerMetricsCollector } from './worker-metrics-collector.js';

/** Departed workers remembered (their sessions' polls are answered `ended`); older ones count as unknown. */
export const MAX_GONE_WORKERS = 4096;

/** How long startup waits for every initial worker before it opens the port with those ready. */
export const WORKERS_READY_TIMEOUT_MS = 30_000;

/** The signals the primary answers: SIGTERM/SIGINT drain and exit, SIGHUP recycles every worker in turn. */
export type PrimarySignal = 'SIGTERM' | 'SIGINT' | 'SIGHUP';
export const PRIMARY_SIGNALS: readonly PrimarySignal[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

/** The worker pool as the primary drives it (the {@link Supervisor}, or a fake in specs). */
export type WorkerPool = Pick<Supervisor, 'start' | 'shutdown' | 'entries' | 'readyCount' | 'send' | 'broadcast' | 'recycleAll'> & Pick<EventEmitter<SupervisorEvents>, 'on' | 'off'>;

/** The public port as the primary drives it. */
export type PublicPort = Pick<Router, 'listen' | 'close' | 'acknowledged' | 'closed' | 'workerGone'>;

export interface PrimarySettings {
  PORT: number;
  HOST: string;
  METRICS_PORT: number;
  METRICS_HOST: string;
  WEB_CONCURRENCY: number;
  GRACEFUL_TIMEOUT_MS: number;
  STICKY: boolean;
}

export interface PrimaryDeps {
  logger: Logger;
  workers: WorkerPool;
  polling: Polling;
  /** Builds the public port; it reads the primary's routing table for every new connection. */
  createRouter: (table: () => RoutingTable) => PublicPort;
  metricsServer: Pick<MetricsServer, 'remember' | 'retire' | 'listen' | 'close'>;
  collector: Pick<WorkerMetricsCollector, 'receive'>;
  /** Process-wide effects: signals, exit, tracing flushes, the cluster rate-limiter master. */
  onSignal: (signal: PrimarySignal, handler: () => void) => void;
  exit: (code: number) => void;
  flushTracing: (ms: number) => Promise<unknown>;
  stopTracing: (ms: number) => Promise<unknown>;
  /** Runs after the coordinator started and before the workers (the workers' shared rate-limit store). */
  beforeWorkers?: () => void;
  readyTimeoutMs?: number;
}

/**
 * The primary process as gunicorn's Arbiter: one object owns the instance's state — the workers'
 * routing table, the departed workers (`gone`, bounded), the public port, the poller wiring — and
 * names its moves: {@link spawnWorkers}, {@link reapWorker}, {@link recycle}, {@link route},
 * {@link drain}, {@link handleSignal}. Worker messages are dispatched by type ({@link handlers}).
 */
export class Primary {
  private readonly gone = new Map<number, LostCause>();
  private table: RoutingTable = { accepting: [], alive: new Set() };
  private stopping = false;
  private readonly router: PublicPort;
  private readonly log: Logger;

  /** What each worker message does, by type. */
  readonly handlers: WorkerMessageHandlers = {
    ready: (id) => this.deps.polling.greet(id),
    viewers: (id, msg) => this.deps.polling.report(id, { sockets: msg.sockets, lastFallbackAt: msg.lastFallbackAt, agencies: msg.agencies }),
    // The supervisor queues the recycle itself (recycle-queue.ts); nothing more for the primary.
    'recycle-me': () => undefined,
    conns: (_id, msg) => {
      if (msg.acked.length > 0) this.router.acknowledged(msg.acked);
      if (msg.closed.length > 0) this.router.closed(msg.closed);
    },
    'metrics-res': (id, msg) => {
      this.deps.collector.receive(id, msg);
      // id 0: the worker's own push (its last counters), kept for when it is gone.
      if (msg.id === 0 && isMetricList(msg.metrics)) this.deps.metricsServer.remember(id, msg.metrics);
    },
  };

  constructor(
    private readonly settings: PrimarySettings,
    private readonly deps: PrimaryDeps,
  ) {
    this.log = deps.logger;
    this.router = deps.createRouter(() => this.route());
    const { workers, polling } = deps;
    workers.on('message', (id, msg) => this.onMessage(id, msg));
    workers.on('change', () => this.refreshRoutes());
    workers.on('restart', (reason) => polling.metrics.workerRestarts.inc({ reason }));
    workers.on('boot-failure', (detail) => this.bootFailed(detail));
    workers.on('gone', (id, cause) => this.reapWorker(id, cause));
  }

  /** Joins the deployment, forks the workers, waits for them, opens the ports and answers signals. */
  async start(): Promise<void> {
    const { polling, metricsServer, logger } = this.deps;
    await polling.start();
    this.deps.beforeWorkers?.();
    await this.spawnWorkers();
    const metricsPort = await metricsServer.listen(this.settings.METRICS_PORT, this.settings.METRICS_HOST);
    const port = await this.router.listen(this.settings.PORT, this.settings.HOST);
    logger.info(
      { event: 'listening', port, metricsPort, workers: this.deps.workers.readyCount(), sticky: this.settings.STICKY, feed: polling.feedKind, coordination: polling.coordinationKind, instance: polling.instanceId },
      `transit tracker listening on http://${this.settings.HOST}:${port} (metrics on ${this.settings.METRICS_HOST}:${metricsPort})`,
    );
    for (const signal of PRIMARY_SIGNALS) this.deps.onSignal(signal, () => void this.handleSignal(signal));
  }

  /** Forks WEB_CONCURRENCY workers and resolves once all are ready (or, after the ready timeout, once one is). */
  spawnWorkers(): Promise<void> {
    const { workers, logger } = this.deps;
    const want = this.settings.WEB_CONCURRENCY;
    const timeoutMs = this.deps.readyTimeoutMs ?? WORKERS_READY_TIMEOUT_MS;
    return new Promise((resolve) => {
      let timedOut = false;
      const check = () => {
        const ready = workers.readyCount();
        if (ready < want && !(timedOut && ready > 0)) return;
        clearTimeout(timer);
        workers.off('change', check);
        resolve();
      };
      const timer = setTimeout(() => {
        timedOut = true;
        logger.warn({ ready: workers.readyCount(), want }, 'not every worker became ready in time; opening the port once one is');
        check();
      }, timeoutMs);
      workers.on('change', check);
      workers.start();
    });
  }

  /** Worker `id` exited: its sessions are `cause`'s, its viewers no longer count, its metrics are folded in. */
  reapWorker(id: number, cause: LostCause): void {
    const lastReport = this.deps.polling.forget(id);
    this.gone.set(id, cause);
    while (this.gone.size > MAX_GONE_WORKERS) this.gone.delete(this.gone.keys().next().value!);
    this.router.workerGone(id);
    // Drained workers count their own closed sessions; a killed one cannot.
    if ((cause === 'worker_died' || cause === 'worker_timeout') && lastReport?.sockets) {
      this.deps.polling.metrics.sessionsLost.inc({ cause }, lastReport.sockets);
    }
    void this.deps.metricsServer.retire(id);
  }

  /** Departed workers the directory names (bounded by {@link MAX_GONE_WORKERS}). */
  get goneWorkers(): ReadonlyMap<number, LostCause> {
    return this.gone;
  }

  /** SIGHUP: every ready worker is replaced, one at a time (replacement ready first, then a windowed drain). Returns the workers queued. */
  recycle(): number[] {
    if (this.stopping) return [];
    const ids = this.deps.workers.recycleAll();
    this.log.info({ event: 'reload', workers: ids }, `SIGHUP: recycling ${ids.length} workers one at a time (each replacement ready before its predecessor drains over DRAIN_WINDOW_MS)`);
    return ids;
  }

  /** The table the router reads for every new connection: workers taking new sessions, and those alive. */
  route(): RoutingTable {
    return this.table;
  }

  /** SIGTERM/SIGINT: stop polling, drain every worker (the port stays open so clients collect their close), close the ports, exit 0. */
  async drain(signal: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const { logger, workers, polling, metricsServer } = this.deps;
    logger.info({ signal, event: 'shutdown' }, `received ${signal}: draining workers (up to GRACEFUL_TIMEOUT_MS=${this.settings.GRACEFUL_TIMEOUT_MS})`);
    const pollingStopped = polling.stopPolling();
    // The primary's spans (upstream polls) leave while the workers drain, the rest at exit.
    void this.deps.flushTracing(this.settings.GRACEFUL_TIMEOUT_MS);
    await pollingStopped;
    // The public port stays open while workers drain: clients must still reach their
    // session's worker to collect its close packet (new sessions are refused with 503).
    await workers.shutdown();
    await polling.stopCoordination();
    await Promise.race([this.router.close(), new Promise((r) => setTimeout(r, 100))]);
    await metricsServer.close();
    logger.info({ event: 'shutdown_complete' }, 'all workers exited; bye');
    await this.deps.stopTracing(1_000);
    this.deps.exit(0);
  }

  /** SIGTERM and SIGINT drain and exit; SIGHUP recycles every worker in turn, as gunicorn's HUP. */
  async handleSignal(signal: PrimarySignal): Promise<void> {
    if (signal === 'SIGHUP') this.recycle();
    else await this.drain(signal);
  }

  private onMessage(id: number, msg: WorkerMessage): void {
    dispatchWorkerMessage(this.handlers, id, msg);
  }

  private refreshRoutes(): void {
    const entries = this.deps.workers.entries();
    // A worker that stopped beating takes no new sessions; its own sessions still go to it.
    this.table = { accepting: entries.filter((e) => !e.draining && e.responsive).map((e) => e.id), alive: new Set(entries.map((e) => e.id)) };
    this.deps.workers.broadcast({ t: 'directory', workers: entries, gone: Object.fromEntries(this.gone) });
  }

  private bootFailed({ crashes, code, signal }: { crashes: number; code: number | null; signal: string | null }): void {
    const why = `${crashes} workers in a row exited while booting (last: code ${code}, signal ${signal}) and none became ready; see the workers' errors above`;
    this.log.fatal({ event: 'boot_failure', crashes, code, signal }, why);
    process.stderr.write(`transit tracker: ${why}\n`);
    // gunicorn's WORKER_BOOT_ERROR: the platform restarts the machine or shows the failure.
    void this.deps.stopTracing(1_000).finally(() => this.deps.exit(3));
  }
}

import type { Worker } from 'node:cluster';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { beatIntervalMs, MISSED_BEATS_OUT_OF_ROTATION } from '../ipc/heartbeat.js';
import { isWorkerMessage, type DrainCause, type LostCause, type PrimaryMessage, type WorkerEntry, type WorkerMessage } from '../ipc/messages.js';
import { RecycleQueue, type RecycleReason } from './recycle-queue.js';
import { systemClock, type Clock, type ForkWorker, type WorkerProcess } from './supervisor-deps.js';

/** How long a new worker may take to become ready before it counts as hung. */
export const BOOT_TIMEOUT_MS = 60_000;
/** Workers that crash while booting, in a row with none ever ready, before the primary gives up (gunicorn: "Worker failed to boot"). */
export const BOOT_CRASH_LIMIT = 5;


/** `transit_worker_restarts_total{reason}`. */
export type RestartReason = 'exit' | 'crash' | 'recycled' | 'timeout';

interface Managed<W extends WorkerProcess> {
  worker: W;
  state: 'starting' | 'ready' | 'draining';
  internalPort: number;
  lastBeat: number;
  /** Missed two beats: kept out of rotation for new connections until it beats again. */
  silent: boolean;
  /** Set when the primary ends the worker on purpose, so its exit is not a crash. */
  endCause?: LostCause;
  /** A replacement was already started (recycling), so its exit spawns none. */
  replaced: boolean;
  /** The worker this one replaces (recycling): drained once this one is ready, not before. */
  replaces?: number;
  killTimer?: unknown;
}

export interface SupervisorOptions<W extends WorkerProcess = Worker> {
  /** Starts one worker (production: `cluster.fork`). */
  fork: ForkWorker<W>;
  /** Extra environment of every worker (e.g. the instance id the primary settled on). */
  env?: Record<string, string>;
  size: number;
  timeoutMs: number;
  gracefulMs: number;
  /** MIN_WORKER_LIFETIME_MS: a worker asking to be recycled waits until it has been ready this long. @default 0 */
  minLifetimeMs?: number;
  /** DRAIN_WINDOW_MS: a recycled worker spreads closing its sessions over this window (added to its drain deadline). @default 0 */
  drainWindowMs?: number;
  logger: Logger;
  /** @default systemClock (monotonic, timers unref-ed) */
  clock?: Clock;
}

export interface SupervisorEvents {
  /** The set of workers or their states changed. */
  change: [];
  /** A worker exited; its sessions are lost for `cause`. */
  gone: [id: number, cause: LostCause];
  /** Every worker keeps crashing while it boots: the primary cannot serve and should exit. */
  'boot-failure': [detail: { crashes: number; code: number | null; signal: string | null }];
  restart: [reason: RestartReason];
  message: [id: number, msg: WorkerMessage];
}

/**
 * Gunicorn's arbiter for Node workers: keeps `size` workers, replaces one that exits,
 * recycles one on request (replacement first, then a clean drain once the replacement is
 * ready — a replacement that dies booting is retried with the crash backoff while the old
 * worker serves on; one worker at a time, none younger than `minLifetimeMs`), kills one whose heartbeat stops (`timeoutMs`), and
 * drains all on shutdown within `gracefulMs`.
 */
export class Supervisor<W extends WorkerProcess = Worker> extends EventEmitter<SupervisorEvents> {
  private readonly workers = new Map<number, Managed<W>>();
  private readonly clock: Clock;
  private readonly now: () => number;
  private beatTimer: unknown;
  private shuttingDown = false;
  private earlyCrashes = 0;
  private readonly recycles: RecycleQueue;

  constructor(private readonly opts: SupervisorOptions<W>) {
    super();
    this.clock = opts.clock ?? systemClock;
    this.now = () => this.clock.now();
    this.recycles = new RecycleQueue({ minLifetimeMs: opts.minLifetimeMs ?? 0, now: this.now, timers: this.clock, begin: (id, trigger) => this.recycle(id, trigger) });
  }

  /** Forks the initial workers and starts heartbeat checks. */
  start(): void {
    for (let i = 0; i < this.opts.size; i++) this.spawn();
    const every = beatIntervalMs(this.opts.timeoutMs);
    this.beatTimer = this.clock.setInterval(() => this.checkHeartbeats(), every);
  }

  /** Workers as the router and the directory see them. */
  entries(): WorkerEntry[] {
    return [...this.workers.entries()]
      .filter(([, m]) => m.state !== 'starting')
      .map(([id, m]) => ({ id, internalPort: m.internalPort, draining: m.state === 'draining', responsive: !m.silent }));
  }

  readyCount(): number {
    return [...this.workers.values()].filter((m) => m.state === 'ready').length;
  }

  worker(id: number): W | undefined {
    return this.workers.get(id)?.worker;
  }

  send(id: number, msg: PrimaryMessage): void {
    const m = this.workers.get(id);
    // A worker can die between the check and the write; its exit is handled in onExit.
    if (m?.worker.isConnected()) m.worker.send(msg, undefined, () => undefined);
  }

  broadcast(msg: PrimaryMessage): void {
    for (const id of this.workers.keys()) this.send(id, msg);
  }

  /**
   * Reload (SIGHUP to the primary, gunicorn's HUP): every worker ready now is recycled in turn
   * through the recycle queue — one at a time, replacement first — without waiting out
   * MIN_WORKER_LIFETIME_MS. Returns the workers queued.
   */
  recycleAll(): number[] {
    if (this.shuttingDown) return [];
    const ids = [...this.workers].filter(([, m]) => m.state === 'ready').map(([id]) => id);
    for (const id of ids) this.recycles.request(id, 'reload', { eager: true });
    return ids;
  }

  /** Replaces worker `id` (its turn in the recycle queue came): new one first, then drain. Returns the replacement's id. */
  private recycle(id: number, trigger: RecycleReason): number | null {
    const m = this.workers.get(id);
    if (!m || m.state !== 'ready' || this.shuttingDown) return null;
    m.replaced = true;
    const why = { sessions: 'passed MAX_SESSIONS_PER_WORKER', memory: 'passed MAX_WORKER_RSS_MB', signal: 'got SIGUSR2', reload: 'is reloaded (SIGHUP to the primary)' }[trigger];
    this.opts.logger.info({ worker: id, trigger, event: 'worker_recycle' }, `worker ${why}; starting its replacement, then draining it`);
    const next = this.spawn(id);
    this.emit('restart', 'recycled');
    return next;
  }

  /** Drains every worker and resolves once all have exited (or were killed at the deadline). */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    this.recycles.stop();
    this.clock.clearInterval(this.beatTimer);
    const exits = [...this.workers.values()].map((m) => new Promise<void>((resolve) => m.worker.once('exit', () => resolve())));
    for (const id of [...this.workers.keys()]) this.drain(id, 'shutdown');
    await Promise.all(exits);
  }

  /** Forks a worker; with `replaces`, the one it replaces is drained once it is ready. */
  private spawn(replaces?: number): number {
    const worker = this.opts.fork(this.opts.env);
    const m: Managed<W> = { worker, state: 'starting', internalPort: 0, lastBeat: this.now(), silent: false, replaced: false, replaces };
    this.workers.set(worker.id, m);
    worker.on('message', (msg: unknown) => {
      if (isWorkerMessage(msg)) this.onMessage(worker.id, msg);
    });
    worker.on('exit', (code, signal) => this.onExit(worker.id, code, signal));
    worker.on('error', (err) => this.opts.logger.warn({ worker: worker.id, err: err.message }, 'IPC to worker failed (it is probably exiting)'));
    return worker.id;
  }

  private onMessage(id: number, msg: WorkerMessage): void {
    const m = this.workers.get(id);
    if (!m) return;
    m.lastBeat = this.now();
    if (m.silent) {
      m.silent = false;
      this.opts.logger.info({ worker: id, event: 'worker_responsive' }, 'worker beats again: back in rotation');
      this.emit('change');
    }
    if (msg.t === 'ready' && m.state === 'starting') {
      m.state = 'ready';
      m.internalPort = msg.internalPort;
      this.earlyCrashes = 0;
      this.recycles.ready(id);
      this.opts.logger.info({ worker: id, internalPort: msg.internalPort, event: 'worker_ready', ...(m.replaces === undefined ? {} : { replaces: m.replaces }) }, 'worker ready');
      // A recycled worker keeps taking sessions until its replacement can: drained only now.
      if (m.replaces !== undefined) this.drain(m.replaces, 'worker_recycled');
      m.replaces = undefined;
      this.emit('change');
    }
    if (msg.t === 'recycle-me') {
      this.opts.logger.info(
        { worker: id, trigger: msg.trigger, sessions: msg.sessions, rssMb: Math.round(msg.rssBytes / 2 ** 20), event: 'worker_recycle_wanted' },
        'worker asks to be recycled; it is, once no other recycle is running and it has lived MIN_WORKER_LIFETIME_MS',
      );
      this.recycles.request(id, msg.trigger);
    }
    this.emit('message', id, msg);
  }

  private drain(id: number, cause: DrainCause): void {
    const m = this.workers.get(id);
    if (!m || m.state === 'draining') return;
    m.state = 'draining';
    m.endCause = cause;
    // A recycle spreads its closes over the window; a shutdown has the platform's kill timeout to meet.
    const windowMs = cause === 'worker_recycled' ? (this.opts.drainWindowMs ?? 0) : 0;
    this.send(id, { t: 'drain', cause, windowMs });
    m.killTimer = this.clock.setTimeout(() => {
      this.opts.logger.warn({ worker: id, cause, event: 'worker_drain_timeout' }, `worker did not drain within DRAIN_WINDOW_MS=${windowMs} + GRACEFUL_TIMEOUT_MS=${this.opts.gracefulMs}; killing it`);
      m.worker.process.kill('SIGKILL');
    }, windowMs + this.opts.gracefulMs);
    this.emit('change');
  }

  private checkHeartbeats(): void {
    const now = this.now();
    const outAfter = MISSED_BEATS_OUT_OF_ROTATION * beatIntervalMs(this.opts.timeoutMs);
    for (const [id, m] of this.workers) {
      if (m.state === 'ready' && !m.silent && !m.endCause && now - m.lastBeat > outAfter) {
        m.silent = true;
        this.opts.logger.warn({ worker: id, silentMs: Math.round(now - m.lastBeat), event: 'worker_unresponsive' }, 'worker missed two heartbeats: no new connections until it beats again');
        this.emit('change');
      }
      // Booting (Nest, modules) is not a blocked loop: it gets the longer boot allowance.
      const allowed = m.state === 'starting' ? Math.max(BOOT_TIMEOUT_MS, this.opts.timeoutMs) : this.opts.timeoutMs;
      if (m.endCause || now - m.lastBeat <= allowed) continue;
      m.endCause = 'worker_timeout';
      this.opts.logger.error(
        { worker: id, silentMs: Math.round(now - m.lastBeat), event: 'worker_timeout' },
        `worker heartbeat silent for over WORKER_TIMEOUT_MS=${this.opts.timeoutMs} (blocked event loop?); killing and replacing it`,
      );
      m.worker.process.kill('SIGKILL');
    }
  }

  private onExit(id: number, code: number | null, signal: string | null): void {
    const m = this.workers.get(id);
    if (!m) return;
    this.clock.clearTimeout(m.killTimer);
    this.workers.delete(id);
    const cause: LostCause = m.endCause ?? 'worker_died';
    const level = cause === 'worker_died' ? 'error' : 'info';
    this.opts.logger[level]({ worker: id, code, signal, cause, event: 'worker_exit' }, `worker exited (${cause})`);
    this.emit('gone', id, cause);
    this.emit('change');
    // Last: the next recycle may begin now, after this exit is told.
    this.recycles.exited(id);
    if (this.shuttingDown || m.replaced) return;
    const reason: RestartReason = cause === 'worker_timeout' ? 'timeout' : code === 0 && !signal ? 'exit' : 'crash';
    this.emit('restart', reason);
    // A worker that dies before it was ever ready is probably a crash loop: back off, and
    // give up once every try failed and no worker ever came up (nothing could serve).
    if (m.state === 'starting') {
      this.earlyCrashes += 1;
      if (this.earlyCrashes >= BOOT_CRASH_LIMIT && this.readyCount() === 0) {
        this.emit('boot-failure', { crashes: this.earlyCrashes, code, signal });
        return;
      }
    }
    const delay = m.state === 'starting' ? Math.min(30_000, 250 * 2 ** (this.earlyCrashes - 1)) : 0;
    // A recycle's replacement that died booting is retried as a replacement (`replaces` is
    // cleared once a worker is ready): the old worker serves on and drains only then.
    this.clock.setTimeout(() => {
      if (!this.shuttingDown) this.spawn(m.replaces);
    }, delay);
  }
}

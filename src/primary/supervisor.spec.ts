import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LostCause, PrimaryMessage } from '../ipc/messages.js';
import { systemClock } from './supervisor-deps.js';
import { BOOT_CRASH_LIMIT, BOOT_TIMEOUT_MS, Supervisor, type RestartReason, type SupervisorOptions } from './supervisor.js';

/** WORKER_TIMEOUT_MS in these specs: beats are checked every 1 000 ms (timeout / 4, capped at 1 s). */
const TIMEOUT = 4_000;
const GRACEFUL = 5_000;

/** A cluster.Worker without a process: every message and kill recorded, exits on cue. */
class FakeWorker extends EventEmitter {
  readonly sent: PrimaryMessage[] = [];
  readonly kills: (string | undefined)[] = [];
  connected = true;
  readonly process = {
    kill: (signal?: NodeJS.Signals) => {
      this.kills.push(signal);
      return true;
    },
  };
  constructor(
    readonly id: number,
    readonly env: Record<string, string> | undefined,
  ) {
    super();
  }
  isConnected(): boolean {
    return this.connected;
  }
  send(msg: PrimaryMessage, _handle: undefined, callback: (error: Error | null) => void): boolean {
    this.sent.push(msg);
    callback(null);
    return true;
  }
  ready(): void {
    this.emit('message', { t: 'ready', internalPort: 4000 + this.id });
  }
  beat(): void {
    this.emit('message', { t: 'viewers', sockets: 0, lastFallbackAt: 0 });
  }
  exit(code: number | null, signal: string | null = null): void {
    this.connected = false;
    this.emit('exit', code, signal);
  }
  drains(): PrimaryMessage[] {
    return this.sent.filter((m) => m.t === 'drain');
  }
}

function setup(opts: Partial<SupervisorOptions<FakeWorker>> = {}) {
  const forked: FakeWorker[] = [];
  const forkedAt: number[] = [];
  const log: string[] = [];
  const restarts: RestartReason[] = [];
  const gone: [number, LostCause][] = [];
  const bootFailures: unknown[] = [];
  /** The supervisor's JSON log lines, as the process starter (scripts/predeploy/service.ts) reads them. */
  const logs: Record<string, unknown>[] = [];
  const sup = new Supervisor<FakeWorker>({
    fork: (env) => {
      const w = new FakeWorker(forked.length + 1, env);
      forked.push(w);
      forkedAt.push(Date.now());
      log.push(`fork ${w.id}`);
      const send = w.send.bind(w);
      w.send = (msg, handle, cb) => {
        if (msg.t === 'drain') log.push(`drain ${w.id}`);
        return send(msg, handle, cb);
      };
      return w;
    },
    size: 1,
    timeoutMs: TIMEOUT,
    gracefulMs: GRACEFUL,
    logger: pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) }),
    // Vitest's fake timers drive the system clock's timers; `now` follows the fake Date.
    clock: { ...systemClock, now: () => Date.now() },
    ...opts,
  });
  sup.on('restart', (r) => restarts.push(r));
  sup.on('gone', (id, cause) => {
    gone.push([id, cause]);
    log.push(`exit ${id}`);
  });
  sup.on('boot-failure', (d) => bootFailures.push(d));
  const w = (id: number) => forked[id - 1]!;
  /** The log lines carrying structured event `event`, with the fields asked for. */
  const events = (event: string, ...fields: string[]) => logs.filter((l) => l.event === event).map((l) => Object.fromEntries(fields.map((f) => [f, l[f]])));
  return { sup, forked, forkedAt, log, restarts, gone, bootFailures, w, events };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => vi.useRealTimers());

describe('Supervisor heartbeat', () => {
  it('a ready worker whose beats stop is out of rotation after 2 missed beats (3 000 ms) and killed at the first check past WORKER_TIMEOUT_MS (5 000 ms), not before', () => {
    const s = setup();
    s.sup.start();
    s.w(1).ready();
    vi.advanceTimersByTime(2_999);
    expect(s.sup.entries()).toEqual([{ id: 1, internalPort: 4001, draining: false, responsive: true }]);
    vi.advanceTimersByTime(1);
    expect(s.sup.entries()[0]!.responsive).toBe(false);
    vi.advanceTimersByTime(1_999);
    expect(s.w(1).kills).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(s.w(1).kills).toEqual(['SIGKILL']);
    vi.advanceTimersByTime(10_000);
    expect(s.w(1).kills).toEqual(['SIGKILL']);
    s.w(1).exit(null, 'SIGKILL');
    expect(s.gone).toEqual([[1, 'worker_timeout']]);
    expect(s.restarts).toEqual(['timeout']);
    // A worker that was ready is replaced at once (no backoff).
    vi.advanceTimersByTime(0);
    expect(s.forked).toHaveLength(2);
  });

  it('a worker beating every second is never killed; one that beats again after going silent is back in rotation', () => {
    const s = setup();
    s.sup.start();
    s.w(1).ready();
    for (let i = 0; i < 60; i++) {
      vi.advanceTimersByTime(1_000);
      s.w(1).beat();
    }
    expect(s.w(1).kills).toEqual([]);
    vi.advanceTimersByTime(3_000);
    expect(s.sup.entries()[0]!.responsive).toBe(false);
    s.w(1).beat();
    expect(s.sup.entries()[0]!.responsive).toBe(true);
    vi.advanceTimersByTime(4_000);
    expect(s.w(1).kills).toEqual([]);
  });

  it('other senders on the IPC channel (prom-client cluster aggregation, Node internals) are not beats', () => {
    const s = setup();
    const seen: string[] = [];
    s.sup.on('message', (_id, m) => seen.push(m.t));
    s.sup.start();
    s.w(1).ready();
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(1_000);
      s.w(1).emit('message', { type: 'adapter', data: i });
    }
    expect(s.w(1).kills).toEqual(['SIGKILL']);
    expect(seen).toEqual(['ready']);
  });

  it('a booting worker gets BOOT_TIMEOUT_MS (60 000 ms) instead: killed at the first check past it, 61 000 ms', () => {
    const s = setup();
    s.sup.start();
    vi.advanceTimersByTime(BOOT_TIMEOUT_MS + 999);
    expect(s.w(1).kills).toEqual([]);
    expect(s.sup.entries()).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(s.w(1).kills).toEqual(['SIGKILL']);
  });
});

describe('Supervisor crash backoff', () => {
  it('forks `size` workers with the extra environment; one that crashes after it was ready is replaced at once', () => {
    const s = setup({ size: 2, env: { INSTANCE_ID: 'a' } });
    s.sup.start();
    expect(s.forked.map((w) => [w.id, w.env])).toEqual([[1, { INSTANCE_ID: 'a' }], [2, { INSTANCE_ID: 'a' }]]);
    s.w(1).ready();
    s.w(2).ready();
    vi.advanceTimersByTime(1_000);
    s.w(1).exit(1);
    s.w(2).exit(0);
    expect(s.gone).toEqual([[1, 'worker_died'], [2, 'worker_died']]);
    expect(s.restarts).toEqual(['crash', 'exit']);
    expect(s.forked).toHaveLength(2);
    vi.advanceTimersByTime(0);
    expect(s.forkedAt).toEqual([0, 0, 1_000, 1_000]);
  });

  it('a worker that dies while booting is restarted after 250, 500, 1 000, 2 000 ms; the 5th such crash with none ready is a boot failure', () => {
    const s = setup();
    s.sup.start();
    const delays: number[] = [];
    for (let crash = 1; crash < BOOT_CRASH_LIMIT; crash++) {
      const diedAt = Date.now();
      s.forked.at(-1)!.exit(1);
      const before = s.forked.length;
      vi.advanceTimersByTime(250 * 2 ** (crash - 1) - 1);
      expect(s.forked).toHaveLength(before);
      vi.advanceTimersByTime(1);
      expect(s.forked).toHaveLength(before + 1);
      delays.push(Date.now() - diedAt);
    }
    expect(delays).toEqual([250, 500, 1_000, 2_000]);
    s.forked.at(-1)!.exit(1);
    expect(s.bootFailures).toEqual([{ crashes: 5, code: 1, signal: null }]);
    vi.advanceTimersByTime(60_000);
    expect(s.forked).toHaveLength(5);
  });

  it('with another worker ready, boot crashes never give up; the delay doubles up to 30 000 ms; a ready worker resets it to 250 ms', () => {
    const s = setup({ size: 2 });
    s.sup.start();
    s.w(1).ready();
    const delays: number[] = [];
    for (let crash = 0; crash < 9; crash++) {
      const diedAt = Date.now();
      const n = s.forked.length;
      s.forked.at(-1)!.exit(1);
      while (s.forked.length === n) {
        vi.advanceTimersByTime(250);
        s.w(1).beat();
      }
      delays.push(Date.now() - diedAt);
    }
    expect(delays).toEqual([250, 500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    expect(s.bootFailures).toEqual([]);
    s.forked.at(-1)!.ready();
    s.forked.at(-1)!.exit(1); // ready, then crashed: replaced at once
    vi.advanceTimersByTime(0);
    const diedAt = Date.now();
    s.forked.at(-1)!.exit(1); // the replacement dies booting: the count starts again
    vi.advanceTimersByTime(249);
    const n = s.forked.length;
    vi.advanceTimersByTime(1);
    expect([s.forked.length - n, Date.now() - diedAt]).toEqual([1, 250]);
  });
});

/** One ready worker (id 1) whose recycle (SIGHUP) has just begun: replacement 2 is booting. */
function recycling(opts: Partial<SupervisorOptions<FakeWorker>> = {}) {
  const s = setup(opts);
  s.sup.start();
  s.w(1).ready();
  s.sup.recycleAll();
  return s;
}

describe('Supervisor recycling', () => {
  it('SIGHUP recycles one worker at a time: replacement forked, old drained only once it is ready, the next only after the old one exited', () => {
    const s = setup({ size: 2, drainWindowMs: 10_000 });
    s.sup.start();
    s.w(1).ready();
    s.w(2).ready();
    expect(s.sup.recycleAll()).toEqual([1, 2]);
    expect(s.log).toEqual(['fork 1', 'fork 2', 'fork 3']);
    expect(s.restarts).toEqual(['recycled']);
    vi.advanceTimersByTime(500);
    expect(s.w(1).drains()).toEqual([]);
    expect(s.events('worker_ready', 'worker', 'internalPort')).toEqual([{ worker: 1, internalPort: 4001 }, { worker: 2, internalPort: 4002 }]);
    s.w(3).ready();
    expect(s.events('worker_ready', 'worker', 'internalPort').at(-1)).toEqual({ worker: 3, internalPort: 4003 });
    expect(s.w(1).drains()).toEqual([{ t: 'drain', cause: 'worker_recycled', windowMs: 10_000 }]);
    expect(s.sup.entries().map((e) => [e.id, e.draining])).toEqual([[1, true], [2, false], [3, false]]);
    expect(s.sup.readyCount()).toBe(2);
    vi.advanceTimersByTime(3_000);
    expect(s.log.at(-1)).toBe('drain 1');
    s.w(1).exit(0);
    expect(s.gone).toEqual([[1, 'worker_recycled']]);
    s.w(4).ready();
    s.w(2).exit(0);
    const beats = setInterval(() => s.forked.filter((w) => w.connected).forEach((w) => w.beat()), 1_000);
    vi.advanceTimersByTime(60_000);
    clearInterval(beats);
    expect(s.log).toEqual(['fork 1', 'fork 2', 'fork 3', 'drain 1', 'exit 1', 'fork 4', 'drain 2', 'exit 2']);
    expect(s.restarts).toEqual(['recycled', 'recycled']);
    expect(s.w(1).kills).toEqual([]);
  });

  it('a recycled worker that does not exit is killed at DRAIN_WINDOW_MS + GRACEFUL_TIMEOUT_MS (15 000 ms) after its drain, not before', () => {
    const s = recycling({ drainWindowMs: 10_000 });
    vi.advanceTimersByTime(700);
    s.w(2).ready();
    const beats = setInterval(() => s.w(2).beat(), 1_000);
    vi.advanceTimersByTime(14_999);
    expect(s.w(1).kills).toEqual([]);
    expect(s.events('worker_drain_timeout')).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(s.w(1).kills).toEqual(['SIGKILL']);
    expect(s.events('worker_drain_timeout', 'worker', 'cause')).toEqual([{ worker: 1, cause: 'worker_recycled' }]);
    clearInterval(beats);
    s.w(1).exit(null, 'SIGKILL');
    expect(s.gone).toEqual([[1, 'worker_recycled']]);
    expect(s.forked).toHaveLength(2);
  });

  it('a worker asking to be recycled waits out MIN_WORKER_LIFETIME_MS (60 000 ms after it was ready)', () => {
    const s = setup({ minLifetimeMs: 60_000 });
    s.sup.start();
    vi.advanceTimersByTime(1_000);
    s.w(1).ready();
    const beats = setInterval(() => s.w(1).beat(), 1_000);
    s.w(1).emit('message', { t: 'recycle-me', trigger: 'sessions', sessions: 500, rssBytes: 1 });
    vi.advanceTimersByTime(59_999);
    expect(s.forked).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(s.forkedAt).toEqual([0, 61_000]);
    clearInterval(beats);
  });

  it('a replacement that dies while booting: the old worker keeps serving, undrained; the replacement is retried after 250, then 500 ms; the old drains once one is ready', () => {
    const s = recycling();
    s.w(2).exit(1);
    expect(s.restarts).toEqual(['recycled', 'crash']);
    expect(s.w(1).drains()).toEqual([]);
    expect(s.sup.entries()).toEqual([{ id: 1, internalPort: 4001, draining: false, responsive: true }]);
    vi.advanceTimersByTime(249);
    expect(s.forked).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(s.forked).toHaveLength(3);
    s.w(3).exit(1);
    vi.advanceTimersByTime(499);
    expect(s.forked).toHaveLength(3);
    vi.advanceTimersByTime(1);
    expect(s.forked).toHaveLength(4);
    expect(s.w(1).drains()).toEqual([]);
    s.w(4).ready();
    expect(s.w(1).drains()).toEqual([{ t: 'drain', cause: 'worker_recycled', windowMs: 0 }]);
    expect(s.log).toEqual(['fork 1', 'fork 2', 'exit 2', 'fork 3', 'exit 3', 'fork 4', 'drain 1']);
    expect(s.events('worker_ready', 'worker', 'replaces').at(-1)).toEqual({ worker: 4, replaces: 1 });
    // The old worker's exit is the recycle's, not a crash: no worker is started for it.
    s.w(1).exit(0);
    vi.advanceTimersByTime(60_000);
    expect([s.forked.length, s.restarts, s.gone]).toEqual([4, ['recycled', 'crash', 'crash'], [[2, 'worker_died'], [3, 'worker_died'], [1, 'worker_recycled']]]);
  });

  it('a recycled worker that dies while its replacement boots is not replaced twice', () => {
    const s = recycling();
    s.w(1).exit(1);
    s.w(2).ready();
    vi.advanceTimersByTime(1_000);
    expect(s.forked).toHaveLength(2);
    expect(s.sup.entries()).toEqual([{ id: 2, internalPort: 4002, draining: false, responsive: true }]);
  });
});

describe('Supervisor shutdown', () => {
  it('drains every worker (window 0), kills those still there at GRACEFUL_TIMEOUT_MS, resolves once all exited and restarts none', async () => {
    const s = setup({ size: 3, drainWindowMs: 10_000 });
    s.sup.start();
    s.w(1).ready();
    s.w(2).ready();
    let done = false;
    const shut = s.sup.shutdown().then(() => void (done = true));
    for (const id of [1, 2, 3]) expect(s.w(id).drains()).toEqual([{ t: 'drain', cause: 'shutdown', windowMs: 0 }]);
    expect(s.sup.recycleAll()).toEqual([]);
    s.w(1).exit(0);
    vi.advanceTimersByTime(GRACEFUL - 1);
    expect([s.w(2).kills, s.w(3).kills]).toEqual([[], []]);
    vi.advanceTimersByTime(1);
    expect([s.w(1).kills, s.w(2).kills, s.w(3).kills]).toEqual([[], ['SIGKILL'], ['SIGKILL']]);
    s.w(2).exit(null, 'SIGKILL');
    await Promise.resolve();
    expect(done).toBe(false);
    s.w(3).exit(null, 'SIGKILL');
    await shut;
    expect(s.gone).toEqual([[1, 'shutdown'], [2, 'shutdown'], [3, 'shutdown']]);
    vi.advanceTimersByTime(120_000);
    expect(s.forked).toHaveLength(3);
    expect(s.restarts).toEqual([]);
  });

  it('sends only to connected workers', () => {
    const s = setup({ size: 2 });
    s.sup.start();
    s.w(2).connected = false;
    s.sup.broadcast({ t: 'metrics-req', id: 7 });
    expect([s.w(1).sent, s.w(2).sent]).toEqual([[{ t: 'metrics-req', id: 7 }], []]);
  });
});

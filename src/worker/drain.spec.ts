import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DrainCause } from '../ipc/messages.js';
import { CLOSE_WAIT_MS, DRAIN_LINGER_MS, POST_WAIT_MS, drainSessions, type DrainableHttp } from './drain.js';

/** An Engine.IO session: its client collects the close packet at once (`collects`), or never. */
class FakeSession {
  closedAt: number | undefined;
  discardedAt: number | undefined;
  transport: { dataReq?: unknown } = {};
  constructor(
    readonly id: string,
    private readonly clients: Record<string, FakeSession>,
    private readonly collects: boolean,
  ) {
    clients[id] = this;
  }
  close(discard?: boolean): void {
    if (discard) this.discardedAt = Date.now();
    else this.closedAt = Date.now();
    if (discard || this.collects) delete this.clients[this.id];
  }
}

/**
 * The worker's HTTP server: records when each step happened. `close`'s callback fires at once
 * unless one of its own connections is busy (then never: the deadline must end it). Like
 * Node's, it does not wait for the connections the primary handed in.
 */
class FakeHttp implements DrainableHttp {
  readonly calls: [string, number][] = [];
  constructor(private readonly busy: boolean) {}
  close(done: () => void): this {
    this.calls.push(['close', Date.now()]);
    if (!this.busy) queueMicrotask(done);
    return this;
  }
  closeIdleConnections(): void {
    this.calls.push(['closeIdle', Date.now()]);
  }
  closeAllConnections(): void {
    this.calls.push(['closeAll', Date.now()]);
  }
}

function setup(sessions: number, opts: { collects?: boolean; handedIn?: number; busy?: boolean } = {}) {
  const clients: Record<string, FakeSession> = {};
  const all = Array.from({ length: sessions }, (_, i) => new FakeSession(`s${i}`, clients, opts.collects ?? true));
  const io = { engine: { clients, get clientsCount() { return Object.keys(clients).length; } } };
  const handed = { open: opts.handedIn ?? 0 };
  const http = new FakeHttp(opts.busy ?? false);
  const registry = new Registry();
  const sessionsLost = new Counter({ name: 'lost', help: 'lost', labelNames: ['cause'], registers: [registry] });
  const events: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void events.push((JSON.parse(line) as { event?: string }).event ?? '') });
  const run = (cause: DrainCause, windowMs: number, deadlineMs: number) => {
    const result = { doneAt: undefined as number | undefined };
    void drainSessions({ io, http, cause, windowMs, handedIn: () => handed.open, metrics: { sessionsLost }, logger, deadlineMs }).then(() => (result.doneAt = Date.now()));
    return result;
  };
  const lost = async (cause: string) => (await sessionsLost.get()).values.find((v) => v.labels.cause === cause)?.value ?? 0;
  return { all, clients, http, handed, events, run, lost };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => vi.useRealTimers());

describe('drainSessions', () => {
  it('a recycle tells its sessions in even batches over the window (10 sessions over 1 000 ms: one every 100 ms), lingers 1 000 ms, then closes the server', async () => {
    const s = setup(10);
    const r = s.run('worker_recycled', 1_000, 6_000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(s.all.map((x) => x.closedAt)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
    expect(await s.lost('worker_recycled')).toBe(10);
    expect(s.http.calls).toEqual([['close', 900 + DRAIN_LINGER_MS], ['closeIdle', 1_900], ['closeAll', 1_900]]);
    expect(r.doneAt).toBe(1_900);
    expect(s.events).not.toContain('drain_deadline');
  });

  it('a shutdown (window 0) tells all at once; sessions whose clients never collect are discarded after CLOSE_WAIT_MS (3 000 ms)', async () => {
    const s = setup(3, { collects: false });
    const r = s.run('shutdown', 0, 4_500);
    await vi.advanceTimersByTimeAsync(CLOSE_WAIT_MS - 1);
    expect(s.all.map((x) => [x.closedAt, x.discardedAt])).toEqual([[0, undefined], [0, undefined], [0, undefined]]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(s.all.map((x) => x.discardedAt)).toEqual([3_000, 3_000, 3_000]);
    expect(s.events).toContain('drain_discard');
    expect(await s.lost('shutdown')).toBe(3);
    expect(s.http.calls[0]).toEqual(['close', 3_000 + DRAIN_LINGER_MS]);
    expect(r.doneAt).toBe(4_000);
  });

  it('a session with a POST in flight is closed once it finishes (checked every 10 ms), or after POST_WAIT_MS (1 000 ms)', async () => {
    const s = setup(2);
    const [finishing, stuck] = s.all;
    finishing!.transport.dataReq = {};
    stuck!.transport.dataReq = {};
    setTimeout(() => (finishing!.transport.dataReq = undefined), 235);
    s.run('worker_recycled', 0, 10_000);
    await vi.advanceTimersByTimeAsync(POST_WAIT_MS - 1);
    expect([finishing!.closedAt, stuck!.closedAt]).toEqual([240, undefined]);
    await vi.advanceTimersByTimeAsync(1);
    expect(stuck!.closedAt).toBe(POST_WAIT_MS);
  });

  it('waits for connections handed in by the primary (a relayed long-poll) before cutting any', async () => {
    const s = setup(0, { handedIn: 1 });
    setTimeout(() => (s.handed.open = 0), 2_500);
    const r = s.run('worker_recycled', 0, 10_000);
    await vi.advanceTimersByTimeAsync(2_499);
    expect(s.http.calls).toEqual([['close', DRAIN_LINGER_MS], ['closeIdle', DRAIN_LINGER_MS]]);
    await vi.advanceTimersByTimeAsync(100);
    expect(s.http.calls.at(-1)).toEqual(['closeAll', 2_500]);
    expect(r.doneAt).toBe(2_500);
    expect(s.events).not.toContain('drain_deadline');
  });

  it('honours the deadline: a window longer than it is cut to it (40 sessions in 2 per 100 ms), and open connections are closed at it', async () => {
    const s = setup(40, { handedIn: 1, busy: true });
    const r = s.run('worker_recycled', 10_000, 2_000);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(r.doneAt).toBeUndefined();
    await vi.advanceTimersByTimeAsync(10_000);
    const closedAt = s.all.map((x) => x.closedAt!);
    expect(closedAt.slice(0, 4)).toEqual([0, 0, 100, 100]);
    expect(closedAt.slice(-2)).toEqual([1_900, 1_900]);
    // The last wait is a setTimeout(0), which is 1 ms in Node as under fake timers.
    expect(s.http.calls).toEqual([['close', 2_000], ['closeIdle', 2_000], ['closeAll', 2_001]]);
    expect(r.doneAt).toBe(2_001);
    expect(s.events).toContain('drain_deadline');
  });
});

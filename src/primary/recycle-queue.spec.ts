import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RecycleQueue, type RecycleReason } from './recycle-queue.js';

const MIN_LIFE = 60_000;
/** The fake supervisor's replacement for worker `id` is `REPLACEMENT + id`. */
const REPLACEMENT = 100;

function queue(opts: { canBegin?: (id: number) => boolean } = {}) {
  const begun: { id: number; trigger: RecycleReason; at: number }[] = [];
  const q = new RecycleQueue({
    minLifetimeMs: MIN_LIFE,
    now: () => Date.now(),
    begin: (id, trigger) => {
      if (opts.canBegin && !opts.canBegin(id)) return null;
      begun.push({ id, trigger, at: Date.now() });
      return REPLACEMENT + id;
    },
  });
  return { q, begun };
}

/** Workers 1 and 2, ready and past their minimum lifetime, ask in that order. */
function twoOldWorkersAsking(first: RecycleReason, second: RecycleReason) {
  const made = queue();
  made.q.ready(1);
  made.q.ready(2);
  vi.advanceTimersByTime(MIN_LIFE);
  made.q.request(1, first);
  made.q.request(2, second);
  return made;
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => vi.useRealTimers());

describe('RecycleQueue', () => {
  it('recycles one worker at a time: the next begins once the replacement is ready and the old one has exited', () => {
    const { q, begun } = twoOldWorkersAsking('sessions', 'sessions');
    expect(begun.map((b) => b.id)).toEqual([1]);
    expect(q.inProgress).toBe(1);
    expect(q.queued).toEqual([2]);
    q.ready(101); // 1's replacement is ready; 1 is still draining
    vi.advanceTimersByTime(30_000);
    expect(begun.map((b) => b.id)).toEqual([1]);
    q.exited(1);
    expect(begun.map((b) => b.id)).toEqual([1, 2]);
    expect(q.inProgress).toBe(2);
  });

  it('an old worker gone before its replacement is ready (killed mid-drain): the next still waits for the replacement', () => {
    const { q, begun } = twoOldWorkersAsking('sessions', 'memory');
    q.exited(1);
    expect(begun.map((b) => b.id)).toEqual([1]);
    q.exited(101); // the replacement died while booting: settled too (the supervisor replaces it as a crash)
    expect(begun.map((b) => b.id)).toEqual([1, 2]);
    q.exited(2);
    q.ready(102);
    expect(q.inProgress).toBe(null);
  });

  it('holds a worker until it has lived MIN_WORKER_LIFETIME_MS, then begins on its own', () => {
    const { q, begun } = queue();
    q.ready(1);
    vi.advanceTimersByTime(10_000);
    q.request(1, 'memory');
    expect(begun).toEqual([]);
    vi.advanceTimersByTime(MIN_LIFE - 10_000 - 1);
    expect(begun).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(begun).toEqual([{ id: 1, trigger: 'memory', at: MIN_LIFE }]);
  });

  it('a replacement that asks at once waits out its own lifetime: a limit set too low cannot loop fast', () => {
    const { q, begun } = queue();
    q.ready(1);
    vi.advanceTimersByTime(MIN_LIFE);
    q.request(1, 'sessions');
    q.ready(101); // the replacement, immediately over the limit too
    q.request(101, 'sessions');
    vi.advanceTimersByTime(5_000);
    q.exited(1);
    expect(begun.map((b) => b.id)).toEqual([1]);
    vi.advanceTimersByTime(MIN_LIFE - 5_000);
    expect(begun.map((b) => [b.id, b.at])).toEqual([[1, MIN_LIFE], [101, 2 * MIN_LIFE]]);
  });

  it('an older worker goes before a younger one that asked first', () => {
    const { q, begun } = queue();
    q.ready(1);
    vi.advanceTimersByTime(50_000);
    q.ready(2);
    vi.advanceTimersByTime(5_000);
    q.request(2, 'sessions'); // eligible at 110 s
    q.request(1, 'sessions'); // eligible at 60 s
    vi.advanceTimersByTime(5_000);
    expect(begun.map((b) => [b.id, b.at])).toEqual([[1, 60_000]]);
    q.ready(101);
    q.exited(1);
    expect(begun).toHaveLength(1);
    vi.advanceTimersByTime(50_000);
    expect(begun.map((b) => [b.id, b.at])).toEqual([[1, 60_000], [2, 110_000]]);
  });

  it('counts a request once, ignores workers it never saw ready, and drops one that exits while waiting', () => {
    const { q, begun } = queue();
    q.request(9, 'sessions');
    q.ready(1);
    q.ready(2);
    q.request(1, 'sessions');
    q.request(1, 'memory');
    q.request(2, 'sessions');
    expect(q.queued).toEqual([1, 2]);
    q.exited(2); // crashed while waiting: the supervisor replaces it anyway
    vi.advanceTimersByTime(MIN_LIFE);
    expect(begun.map((b) => [b.id, b.trigger])).toEqual([[1, 'sessions']]);
    q.exited(1);
    vi.advanceTimersByTime(10 * MIN_LIFE);
    expect(begun).toHaveLength(1);
  });

  it('moves on when a worker cannot begin (no longer ready), and begins nothing after stop()', () => {
    const { q, begun } = queue({ canBegin: (id) => id !== 1 });
    q.ready(1);
    q.ready(2);
    q.ready(3);
    vi.advanceTimersByTime(MIN_LIFE);
    q.request(1, 'sessions');
    expect(q.inProgress).toBe(null);
    q.request(2, 'sessions');
    q.request(3, 'sessions');
    expect(begun.map((b) => b.id)).toEqual([2]);
    q.stop();
    q.exited(2);
    vi.advanceTimersByTime(MIN_LIFE);
    expect(begun.map((b) => b.id)).toEqual([2]);
  });

  it('a reload (SIGHUP) recycles young workers too, still one at a time, and takes over a request already waiting', () => {
    const { q, begun } = queue();
    q.ready(1);
    q.ready(2);
    q.request(2, 'sessions'); // too young: would wait MIN_LIFE
    q.request(1, 'reload', { eager: true });
    q.request(2, 'reload', { eager: true });
    expect(begun.map((b) => [b.id, b.trigger, b.at])).toEqual([[1, 'reload', 0]]);
    expect(q.queued).toEqual([2]);
    q.ready(101);
    q.exited(1);
    expect(begun.map((b) => [b.id, b.trigger, b.at])).toEqual([[1, 'reload', 0], [2, 'reload', 0]]);
  });
});

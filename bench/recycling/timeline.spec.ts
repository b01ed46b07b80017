import { describe, expect, it } from 'vitest';
import { maxOverlap, recycleTimeline } from './timeline.ts';

const t = (s: number) => new Date(Date.UTC(2026, 0, 1) + s * 1000).toISOString();
const P = (s: number, f: Record<string, unknown>) => ({ role: 'primary', time: t(s), ...f });
const W = (worker: number, s: number, f: Record<string, unknown>) => ({ role: 'worker', worker, time: t(s), ...f });
const T0 = Date.UTC(2026, 0, 1);

describe('recycleTimeline', () => {
  it('pairs each recycle with its worker’s ready, wish, drain and exit, and sees them one at a time', () => {
    const logs = [
      P(0, { worker: 1, event: 'worker_ready', msg: 'worker ready' }),
      P(0, { worker: 2, event: 'worker_ready', msg: 'worker ready' }),
      P(5, { worker: 1, event: 'worker_recycle_wanted', trigger: 'sessions' }),
      P(6, { worker: 2, event: 'worker_recycle_wanted', trigger: 'memory' }),
      P(10, { worker: 1, event: 'worker_recycle', trigger: 'sessions' }),
      P(12, { worker: 3, event: 'worker_ready', msg: 'worker ready' }),
      W(1, 12, { event: 'worker_drain', sessions: 7 }),
      P(15, { worker: 1, event: 'worker_exit', cause: 'worker_recycled' }),
      P(15, { worker: 2, event: 'worker_recycle', trigger: 'memory' }),
      P(17, { worker: 4, event: 'worker_ready', msg: 'worker ready' }),
      W(2, 17, { event: 'worker_drain', sessions: 9 }),
      P(20, { worker: 2, event: 'worker_exit', cause: 'worker_recycled' }),
    ];
    const tl = recycleTimeline(logs);
    expect(tl.wanted).toBe(2);
    expect(tl.recycles).toEqual([
      { worker: 1, trigger: 'sessions', readyAt: T0, wantedAt: T0 + 5000, beganAt: T0 + 10_000, drainAt: T0 + 12_000, exitAt: T0 + 15_000, sessions: 7 },
      { worker: 2, trigger: 'memory', readyAt: T0, wantedAt: T0 + 6000, beganAt: T0 + 15_000, drainAt: T0 + 17_000, exitAt: T0 + 20_000, sessions: 9 },
    ]);
    expect(tl.maxConcurrent).toBe(1);
    expect(tl.ready.map((r) => r.worker)).toEqual([1, 2, 3, 4]);
  });

  it('a recycle that has not exited yet is still in progress', () => {
    const logs = [P(0, { worker: 1, event: 'worker_recycle' }), P(1, { worker: 2, event: 'worker_recycle' })];
    expect(recycleTimeline(logs).maxConcurrent).toBe(2);
  });
});

describe('maxOverlap', () => {
  it('counts intervals open at once; one ending when the next begins does not overlap it', () => {
    expect(maxOverlap([])).toBe(0);
    expect(maxOverlap([[0, 5], [5, 10], [10, 15]])).toBe(1);
    expect(maxOverlap([[0, 10], [2, 4], [3, 12], [11, 13]])).toBe(3);
  });
});

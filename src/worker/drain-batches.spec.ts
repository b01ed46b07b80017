import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { batchSize, closeInBatches, DRAIN_STEP_MS } from './drain-batches.js';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => vi.useRealTimers());

/** Sessions that leave the open list when closed, and when each one was closed. */
function sessions(n: number) {
  const open = new Set(Array.from({ length: n }, (_, i) => i));
  const closedAt = new Map<number, number>();
  return {
    open,
    closedAt,
    list: () => [...open],
    close: (s: number) => {
      closedAt.set(s, Date.now());
      open.delete(s);
    },
  };
}

describe('batchSize', () => {
  it('spreads the sessions over the window, one batch per step', () => {
    expect(batchSize(280, 10_000)).toBe(3);
    expect(batchSize(100, 10_000)).toBe(1);
    expect(batchSize(1000, 1_000)).toBe(100);
    expect(batchSize(0, 10_000)).toBe(1);
  });

  it('a window shorter than one step (a shutdown: 0) closes everything at once', () => {
    expect(batchSize(280, 0)).toBe(280);
    expect(batchSize(280, DRAIN_STEP_MS - 1)).toBe(280);
  });
});

describe('closeInBatches', () => {
  it('closes 280 sessions over a 10 s window: 3 per 100 ms step, none after the window', async () => {
    const s = sessions(280);
    const done = closeInBatches(s.list, s.close, 10_000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await done).toBe(280);
    const times = [...s.closedAt.values()];
    expect(Math.max(...times)).toBeLessThan(10_000);
    // Never more than one batch in one step.
    const perStep = new Map<number, number>();
    for (const t of times) perStep.set(t, (perStep.get(t) ?? 0) + 1);
    expect(Math.max(...perStep.values())).toBe(3);
    expect(perStep.size).toBe(Math.ceil(280 / 3));
  });

  it('window 0: all at once, without waiting', async () => {
    const s = sessions(50);
    expect(await closeInBatches(s.list, s.close, 0)).toBe(50);
    expect(new Set(s.closedAt.values())).toEqual(new Set([0]));
  });

  it('skips sessions that ended on their own, and closes each session once even if its close is slow', async () => {
    const s = sessions(10);
    const calls: number[] = [];
    // A slow close (a POST in flight): the session stays listed until later.
    const slowClose = (id: number) => calls.push(id);
    const done = closeInBatches(s.list, slowClose, 1_000, 100);
    await vi.advanceTimersByTimeAsync(100);
    s.open.delete(5);
    s.open.delete(6);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await done).toBe(8);
    expect(calls.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 7, 8, 9]);
  });
});

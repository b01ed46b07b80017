import { describe, expect, it } from 'vitest';
import { RSS_SAMPLES_OVER_LIMIT, RecycleTriggers, type RecycleAsk } from './recycle-triggers.js';

const MiB = 1024 * 1024;

function triggers(sessionLimit: number, rssLimitBytes = 0) {
  const asks: RecycleAsk[] = [];
  return { t: new RecycleTriggers({ sessionLimit, rssLimitBytes }, (a) => asks.push(a)), asks };
}

describe('RecycleTriggers', () => {
  it('asks once, at the limit-th new session, and never again', () => {
    const { t, asks } = triggers(3);
    t.sessionOpened();
    t.sessionOpened();
    expect(asks).toEqual([]);
    t.sessionOpened();
    expect(asks).toEqual([{ trigger: 'sessions', sessions: 3, rssBytes: 0 }]);
    for (let i = 0; i < 10; i++) t.sessionOpened();
    t.memorySample(10_000 * MiB);
    expect(asks).toHaveLength(1);
    expect(t.sessionCount).toBe(13);
  });

  it('0 = never, for sessions and for memory', () => {
    const { t, asks } = triggers(0, 0);
    for (let i = 0; i < 100_000; i++) t.sessionOpened();
    for (let i = 0; i < 10; i++) t.memorySample(100_000 * MiB);
    expect(asks).toEqual([]);
  });

  it(`memory: only after ${RSS_SAMPLES_OVER_LIMIT} heartbeats in a row above the limit`, () => {
    const { t, asks } = triggers(0, 200 * MiB);
    t.memorySample(250 * MiB);
    t.memorySample(250 * MiB);
    t.memorySample(150 * MiB); // a GC brought it down: the streak starts over
    t.memorySample(250 * MiB);
    t.memorySample(250 * MiB);
    expect(asks).toEqual([]);
    t.memorySample(260 * MiB);
    expect(asks).toEqual([{ trigger: 'memory', sessions: 0, rssBytes: 260 * MiB }]);
  });

  it('SIGUSR2 asks like a limit does, once, even with both limits off', () => {
    const { t, asks } = triggers(0, 0);
    t.sessionOpened();
    t.signalled();
    t.signalled();
    expect(asks).toEqual([{ trigger: 'signal', sessions: 1, rssBytes: 0 }]);
  });

  it('a sample exactly at the limit is not over it', () => {
    const { t, asks } = triggers(0, 200 * MiB);
    for (let i = 0; i < 5; i++) t.memorySample(200 * MiB);
    expect(asks).toEqual([]);
  });
});

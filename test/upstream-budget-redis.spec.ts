import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admit, BUDGET_WINDOW_MS } from '../src/poller/call-budget.js';
import { RedisCallWindow } from '../src/poller/redis-call-window.js';
import { startRedis, type RedisServer } from './support/redis-server.js';

describe('RedisCallWindow: one rolling-hour budget for a whole deployment (real redis-server)', () => {
  let redis: RedisServer;
  const windows: RedisCallWindow[] = [];
  const open = (limit: number, prefix: string) => {
    const w = new RedisCallWindow(limit, { url: redis.url, prefix });
    windows.push(w);
    return w;
  };

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(windows.map((w) => w.close()));
    await redis?.stop();
  });

  it('two instances share the count, and a restarted one still sees it', async () => {
    const a = open(5, 'budget-a');
    const b = open(5, 'budget-a');
    const t0 = 1_000_000;
    const granted = [];
    for (let i = 0; i < 5; i++) granted.push((await (i % 2 ? b : a).take(1, t0 + i * 1000)).granted);
    expect(granted).toEqual([true, true, true, true, true]);
    expect(await b.take(1, t0 + 10_000)).toEqual({ granted: false, retryAt: t0 + BUDGET_WINDOW_MS, used: 5 });
    await a.close();
    const restarted = open(5, 'budget-a');
    expect((await restarted.take(1, t0 + 20_000)).granted).toBe(false);
    expect((await restarted.take(1, t0 + BUDGET_WINDOW_MS)).granted).toBe(true);
  });

  it('decides exactly like the in-memory sliding log, several calls per poll included', async () => {
    const w = open(7, 'budget-b');
    let log: number[] = [];
    const t0 = 5_000_000;
    for (let i = 0; i < 40; i++) {
      const now = t0 + Math.round(i * 40_000 * ((i % 3) + 1));
      const cost = (i % 3) + 1;
      const expected = admit(log, cost, now, 7);
      log = expected.calls;
      expect(await w.take(cost, now)).toEqual(expected.admission);
    }
  });
});

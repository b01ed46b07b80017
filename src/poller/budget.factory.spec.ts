import { describe, expect, it } from 'vitest';
import { createBudget } from './budget.factory.js';
import { MemoryCallWindow, planPacing } from './call-budget.js';
import { RedisCallWindow } from './redis-call-window.js';

const settings = { POLL_INTERVAL_MS: 15_000, UPSTREAM_BUDGET_PER_HOUR: 720, REDIS_PREFIX: 'transit' };

describe('createBudget', () => {
  it('no budget: pacing only, nothing to count in', () => {
    const { pacing, window } = createBudget({ ...settings, UPSTREAM_BUDGET_PER_HOUR: null }, 1);
    expect(pacing).toEqual(planPacing(15_000, null, 1));
    expect(window).toBeUndefined();
  });

  it('a budget without REDIS_URL counts in memory, with the pacing for the calls per poll', () => {
    const { pacing, window } = createBudget(settings, 2);
    expect(pacing).toEqual(planPacing(15_000, 720, 2));
    expect(window).toBeInstanceOf(MemoryCallWindow);
    expect(window!.limit).toBe(720);
  });

  it('a budget with REDIS_URL counts in Redis (it connects on the first call, so none is made here)', async () => {
    const { window } = createBudget({ ...settings, REDIS_URL: 'redis://127.0.0.1:1' }, 1);
    expect(window).toBeInstanceOf(RedisCallWindow);
    expect([window!.kind, window!.limit]).toEqual(['redis', 720]);
    await (window as RedisCallWindow).close();
  });
});

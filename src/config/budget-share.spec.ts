import { describe, expect, it } from 'vitest';
import { budgetShare } from './budget-share.js';
import { ConfigError, parseConfig } from './config.js';

describe('budgetShare', () => {
  it('gives every machine the whole budget when Redis keeps one count for the deployment', () => {
    expect(budgetShare(60, { REDIS_URL: 'redis://r:6379', FLY_MACHINE_ID: 'm1', UPSTREAM_BUDGET_MACHINES: 3 })).toEqual({ share: 60 });
  });

  it('splits the budget among machines that cannot see each other, rounding down', () => {
    expect(budgetShare(60, { FLY_MACHINE_ID: 'm1', UPSTREAM_BUDGET_MACHINES: 2 })).toEqual({ share: 30 });
    expect(budgetShare(100, { UPSTREAM_BUDGET_MACHINES: 3 })).toEqual({ share: 33 });
  });

  it('refuses to guess on a platform that names its machines, naming both ways out', () => {
    const r = budgetShare(60, { FLY_MACHINE_ID: 'm1' });
    expect('problem' in r && r.problem).toMatch(/UPSTREAM_BUDGET_MACHINES.*REDIS_URL.*fly redis create.*fly scale count/s);
  });

  it('leaves a single unnamed machine and an unlimited budget alone', () => {
    expect(budgetShare(60, {})).toEqual({ share: 60 });
    expect(budgetShare(null, { FLY_MACHINE_ID: 'm1' })).toEqual({ share: null });
  });

  it('refuses more machines than calls', () => {
    expect(budgetShare(2, { UPSTREAM_BUDGET_MACHINES: 3 })).toEqual({ problem: expect.stringContaining('more machines than upstream calls') });
  });
});

describe('parseConfig with several machines and no Redis', () => {
  const five11 = { FEED: '511', FEED_API_KEY: 'k3y', FLY_MACHINE_ID: 'm1' };

  it('refuses FEED=511 on Fly without REDIS_URL until the machines are counted, then takes the share', () => {
    expect(() => parseConfig(five11)).toThrow(ConfigError);
    expect(() => parseConfig(five11)).toThrow(/UPSTREAM_BUDGET_MACHINES=\(unset\)/);
    expect(parseConfig({ ...five11, UPSTREAM_BUDGET_MACHINES: '2' }).UPSTREAM_BUDGET_PER_HOUR).toBe(30);
    expect(parseConfig({ ...five11, REDIS_URL: 'redis://127.0.0.1:6379' }).UPSTREAM_BUDGET_PER_HOUR).toBe(60);
  });
});

import { describe, expect, it } from 'vitest';
import { admit, BUDGET_WINDOW_MS, MemoryCallWindow, planPacing } from './call-budget.js';
import { nextCallAt, UNAUTHORIZED_PROBE_MS } from './backoff.js';

describe('admit (sliding log over the rolling hour)', () => {
  it('grants until the window holds `limit` calls, then says when the oldest leaves', () => {
    let calls: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = admit(calls, 1, i * 1000, 3);
      expect(r.admission).toMatchObject({ granted: true, used: i + 1 });
      calls = r.calls;
    }
    const denied = admit(calls, 1, 5000, 3);
    expect(denied.admission).toEqual({ granted: false, retryAt: BUDGET_WINDOW_MS, used: 3 });
    // At retryAt the first call is exactly one window old: outside (now - window, now].
    expect(admit(calls, 1, BUDGET_WINDOW_MS, 3).admission.granted).toBe(true);
    expect(admit(calls, 1, BUDGET_WINDOW_MS - 1, 3).admission.granted).toBe(false);
  });

  it('a poll of several calls waits until that many slots are free; one over the limit never fits', () => {
    const calls = [0, 10, 20, 30];
    expect(admit(calls, 3, 40, 5).admission).toEqual({ granted: false, retryAt: 10 + BUDGET_WINDOW_MS, used: 4 });
    expect(admit(calls, 6, 40, 5).admission.granted).toBe(false);
  });

  it('MemoryCallWindow keeps the log between calls', async () => {
    const w = new MemoryCallWindow(2, 1000);
    expect((await w.take(1, 0)).granted).toBe(true);
    expect((await w.take(1, 1)).granted).toBe(true);
    expect(await w.take(1, 2)).toEqual({ granted: false, retryAt: 1000, used: 2 });
    expect((await w.take(1, 1000)).granted).toBe(true);
  });
});

describe('planPacing', () => {
  it('511 defaults: 60/h for one agency is one poll a minute, whatever POLL_INTERVAL_MS says', () => {
    const p = planPacing(15_000, 60, 1);
    expect(p).toMatchObject({ intervalMs: 60_000, limitedByBudget: true });
    expect(p.explanation).toContain('UPSTREAM_BUDGET_PER_HOUR=60 ÷ 1 call(s) per poll = 60 polls/h');
    expect(p.explanation).toContain('one poll every 60000 ms (the budget sets the pace)');
  });

  it('splits the budget among agencies; keeps a slower POLL_INTERVAL_MS; unlimited keeps it as is', () => {
    expect(planPacing(15_000, 60, 3).intervalMs).toBe(180_000);
    expect(planPacing(1_000, 360, 1).intervalMs).toBe(10_000);
    expect(planPacing(120_000, 60, 1)).toMatchObject({ intervalMs: 120_000, limitedByBudget: false });
    expect(planPacing(1_000, null, 1)).toMatchObject({ intervalMs: 1_000, budgetPerHour: null });
    expect(planPacing(1_000, 7, 1).intervalMs).toBe(514_286); // rounded up, never down
    expect(() => planPacing(1_000, 2, 3)).toThrow(/FEED_AGENCIES/);
  });
});

describe('nextCallAt', () => {
  const base = { started: 1_000, ended: 1_200, consecutiveFailures: 1 };
  it('honours Retry-After exactly, with no extra backoff, never sooner than one interval', () => {
    expect(nextCallAt(60_000, { ...base, failure: 'rate_limited', retryAfterMs: 300_000 })).toBe(301_200);
    expect(nextCallAt(60_000, { ...base, failure: 'rate_limited', retryAfterMs: 5_000 })).toBe(61_000);
    expect(nextCallAt(60_000, { ...base, failure: 'rate_limited' })).toBe(121_000); // no header: backoff
  });
  it('probes a refused key slowly; other failures back off; success keeps the interval', () => {
    expect(nextCallAt(60_000, { ...base, failure: 'unauthorized' })).toBe(1_000 + UNAUTHORIZED_PROBE_MS);
    expect(nextCallAt(60_000, { ...base, failure: 'http_error', consecutiveFailures: 2 })).toBe(241_000);
    expect(nextCallAt(60_000, { ...base, failure: null, consecutiveFailures: 0 })).toBe(61_000);
  });
});

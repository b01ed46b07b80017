import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Demand } from '../demand/demand.js';
import { FeedError, type Feed } from '../feed/feed.js';
import { VehicleStore } from '../store/vehicle-store.js';
import { UNAUTHORIZED_PROBE_MS } from './backoff.js';
import { BUDGET_WINDOW_MS, MemoryCallWindow, planPacing, type CallWindow } from './call-budget.js';
import { PollController } from './poll-controller.js';

const T0 = Date.parse('2026-12-02T00:00:00Z');

/** A feed whose answer the test decides per call; records the time of every upstream call. */
function scriptedFeed(callsPerFetch: number, answer: (n: number) => FeedError | null = () => null) {
  const times: number[] = [];
  const feed: Feed = {
    kind: '511',
    callsPerFetch,
    async fetch() {
      for (let i = 0; i < callsPerFetch; i++) times.push(Date.now());
      const error = answer(times.length / callsPerFetch);
      if (error) throw error;
      return { vehicles: [{ id: 'v', routeId: 'N', lat: 37.7, lon: -122.4, bearing: null, updatedAt: Date.now() }], fetchedAt: Date.now(), calls: callsPerFetch };
    },
  };
  return { feed, times };
}

/** A 511-like feed of several agencies: records which agency each upstream call asked for, and when. */
function agencyFeed(agencies: string[], answer: () => FeedError | null = () => null) {
  const calls: { at: number; agency: string }[] = [];
  const feed: Feed = {
    kind: '511',
    callsPerFetch: agencies.length,
    agencies,
    async fetch(_signal, which = agencies) {
      for (const agency of which) calls.push({ at: Date.now(), agency });
      const error = answer();
      if (error) throw error;
      const vehicles = which.map((a) => ({ id: `${a}:v`, routeId: 'N', lat: 37.7, lon: -122.4, bearing: null, updatedAt: Date.now() }));
      return { vehicles, fetchedAt: Date.now(), calls: which.length };
    },
  };
  return { feed, calls };
}

function controller(opts: { feed: Feed; budgetPerHour: number | null; pollIntervalMs: number; graceMs?: number; window?: CallWindow }) {
  let demand: Demand = { sockets: 0, fallback: false };
  const pacing = planPacing(opts.pollIntervalMs, opts.budgetPerHour, opts.feed.callsPerFetch ?? 1);
  const deferred: number[] = [];
  const ctl = new PollController({
    feed: opts.feed,
    store: new VehicleStore(),
    demand: () => demand,
    intervalMs: pacing.intervalMs,
    budget: opts.window ?? (opts.budgetPerHour === null ? undefined : new MemoryCallWindow(opts.budgetPerHour)),
    pacing,
    graceMs: opts.graceMs ?? 0,
    onUpdate: () => undefined,
    onDeferred: (at) => deferred.push(at),
  });
  const watch = (sockets: number) => {
    demand = { sockets, fallback: false };
    ctl.demandChanged();
  };
  /** Viewers per agency, as the workers' reports sum them. */
  const watchAgencies = (viewers: Record<string, number>) => {
    const agencies = Object.fromEntries(Object.entries(viewers).map(([a, n]) => [a, { sockets: n, fallbackUntil: 0 }]));
    demand = { sockets: Object.values(viewers).reduce((a, b) => a + b, 0), fallback: false, agencies };
    ctl.demandChanged();
  };
  return { ctl, watch, watchAgencies, deferred, pacing };
}

/** The most calls any rolling hour (t - 1 h, t] holds. */
function maxPerRollingHour(times: number[]): number {
  let max = 0;
  let from = 0;
  for (let i = 0; i < times.length; i++) {
    while (times[from]! <= times[i]! - BUDGET_WINDOW_MS) from++;
    max = Math.max(max, i - from + 1);
  }
  return max;
}

/** Deterministic PRNG (mulberry32), so the scripted day is the same every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('PollController with an enforced upstream budget', () => {
  beforeEach(() => vi.useFakeTimers({ now: T0 }));
  afterEach(() => vi.useRealTimers());

  it('UPSTREAM_BUDGET_PER_HOUR=360, POLL_INTERVAL_MS=1000: one viewer for 30 s costs at most 4 calls', async () => {
    const { feed, times } = scriptedFeed(1);
    const { ctl, watch, pacing } = controller({ feed, budgetPerHour: 360, pollIntervalMs: 1000 });
    expect(pacing.intervalMs).toBe(10_000);
    watch(1);
    await vi.advanceTimersByTimeAsync(30_000);
    watch(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(times.map((t) => t - T0)).toEqual([0, 10_000, 20_000, 30_000]);
    ctl.stop();
  });

  it('no rolling hour exceeds the budget across a crash loop and a doubled leader sharing the window (it would without it)', async () => {
    const run = async (shared: CallWindow | null) => {
      const { feed, times } = scriptedFeed(1);
      const window = () => shared ?? ({ kind: 'memory', limit: 60, take: async (_c: number, now: number) => ({ granted: true, retryAt: now, used: 0 }), close: async () => undefined } satisfies CallWindow);
      // Two instances that both believe they hold the lease, each restarted every 20 s (a crash
      // loop): every fresh poller has no snapshot and wants to poll at once.
      for (let t = 0; t < 3 * BUDGET_WINDOW_MS; t += 20_000) {
        const pair = [0, 1].map(() => controller({ feed, budgetPerHour: 60, pollIntervalMs: 15_000, window: window() }));
        for (const p of pair) p.watch(1);
        await vi.advanceTimersByTimeAsync(20_000);
        for (const p of pair) p.ctl.stop();
      }
      return { max: maxPerRollingHour(times), calls: times.length };
    };
    const unshared = await run(null);
    const shared = await run(new MemoryCallWindow(60));
    process.stdout.write(`[figure] crash loop + two leaders for 3 h, budget 60/h: ${JSON.stringify({ withoutWindow: unshared, withSharedWindow: shared })}\n`);
    expect(unshared.max).toBeGreaterThan(60);
    expect(shared.max).toBeLessThanOrEqual(60);
    expect(shared.max).toBeGreaterThanOrEqual(59);
  });

  it('a scripted day of viewing across 3 agencies: each agency polled only while watched, never above 60 calls in a rolling hour', async () => {
    const AGENCIES = ['SF', 'AC', 'BA'];
    const GRACE_MS = 30_000;
    // 500s for one hour at 08:00, one 429 (Retry-After 10 min) at about noon.
    const answer = () => {
      const at = new Date(Date.now());
      if (at.getUTCHours() === 8) return new FeedError('http_error', 'upstream answered 500');
      if (at.getUTCHours() === 12 && at.getUTCMinutes() < 3) return new FeedError('rate_limited', 'upstream answered 429', { retryAfterMs: 600_000 });
      return null;
    };
    /** Viewers of each agency minute by minute: SF busy at the commute peaks, AC from 09:00 to 20:00, BA on evenings only. */
    const script = (() => {
      const random = prng(511);
      const viewers: Record<string, number> = { SF: 0, AC: 0, BA: 0 };
      const arrival = (agency: string, hour: number): number => {
        const peak = (hour >= 7 && hour < 10) || (hour >= 16 && hour < 19);
        if (agency === 'SF') return hour < 6 ? 0.01 : peak ? 0.5 : 0.12;
        if (agency === 'AC') return hour >= 9 && hour < 20 ? 0.06 : 0;
        return hour >= 18 && hour < 22 ? 0.08 : 0;
      };
      return Array.from({ length: 24 * 60 }, (_, minute) => {
        for (const a of AGENCIES) {
          if (random() < arrival(a, Math.floor(minute / 60))) viewers[a]! += 1;
          if (viewers[a]! > 0 && random() < 0.3) viewers[a]! -= 1;
        }
        return { ...viewers };
      });
    })();

    // Per agency (this change): the poll asks only for the watched agencies.
    const { feed, calls } = agencyFeed(AGENCIES, answer);
    const { ctl, watchAgencies } = controller({ feed, budgetPerHour: 60, pollIntervalMs: 15_000, graceMs: GRACE_MS });
    const watchedMs: Record<string, number> = { SF: 0, AC: 0, BA: 0 };
    const intervals = new Set<number>();
    for (const viewers of script) {
      watchAgencies(viewers);
      for (const a of AGENCIES) {
        if (viewers[a]! > 0) watchedMs[a]! += 60_000;
      }
      intervals.add(ctl.feedStatus.budget!.effectiveIntervalMs);
      await vi.advanceTimersByTimeAsync(60_000);
    }
    ctl.stop();
    // Whole-feed demand (before this change): every agency at every poll while anyone watches.
    const whole = scriptedFeed(3, answer);
    const secondDay = Date.now() - T0; // the same script, one fake day later
    const before = controller({ feed: whole.feed, budgetPerHour: 60, pollIntervalMs: 15_000, graceMs: GRACE_MS });
    for (const viewers of script) {
      before.watch(AGENCIES.reduce((n, a) => n + viewers[a]!, 0));
      await vi.advanceTimersByTimeAsync(60_000);
    }
    before.ctl.stop();

    // A call for X is legitimate during a minute X has viewers, or within the grace after it (+1 ms: the wake-up after the deadline).
    const watchedAt = (agency: string, at: number) => script.some((v, m) => v[agency]! > 0 && at >= T0 + m * 60_000 && at <= T0 + (m + 1) * 60_000 + GRACE_MS + 1);
    const unwatched = calls.filter((c) => !watchedAt(c.agency, c.at));
    // Before, each poll asked for all three: the calls for agencies nobody watched were spent for nothing.
    const wholeCalls = whole.times.filter((_, i) => i % 3 === 0).flatMap((at) => AGENCIES.map((agency) => ({ at: at - secondDay, agency })));
    const perAgency = Object.fromEntries(AGENCIES.map((a) => [a, calls.filter((c) => c.agency === a).length]));
    const max = maxPerRollingHour(calls.map((c) => c.at));
    const hours = (ms: number) => Math.round(ms / 360_000) / 10;
    const figures = {
      callsPerAgency: perAgency,
      calls: calls.length,
      maxPerRollingHour: max,
      watchedHours: Object.fromEntries(AGENCIES.map((a) => [a, hours(watchedMs[a]!)])),
      effectiveIntervalsMs: [...intervals].sort((a, b) => a - b),
      wholeFeedDemand: { calls: whole.times.length, callsForUnwatchedAgencies: wholeCalls.filter((c) => !watchedAt(c.agency, c.at)).length, SF: wholeCalls.filter((c) => c.agency === 'SF').length, maxPerRollingHour: maxPerRollingHour(whole.times) },
      alwaysOnAtPollInterval: (86_400_000 / 15_000) * 3,
      alwaysOnAtBudget: 24 * 60,
    };
    process.stdout.write(`[figure] scripted day, 3 agencies, UPSTREAM_BUDGET_PER_HOUR=60, demand per agency: ${JSON.stringify(figures)}\n`);
    expect(max).toBeLessThanOrEqual(60);
    expect(unwatched).toEqual([]);
    // BA is watched on evenings only: never asked for before 18:00.
    expect(calls.filter((c) => c.agency === 'BA').every((c) => new Date(c.at).getUTCHours() >= 18)).toBe(true);
    for (const a of AGENCIES) expect(perAgency[a], a).toBeGreaterThan(0);
    expect(perAgency['SF']).toBeGreaterThan(perAgency['AC']!);
    // The budget is split among the watched agencies: one, two or three of them.
    expect(figures.effectiveIntervalsMs).toEqual([60_000, 120_000, 180_000]);
    expect(calls.length).toBeLessThan(figures.alwaysOnAtBudget);
    expect(maxPerRollingHour(whole.times)).toBeLessThanOrEqual(60);
    // The same hourly budget, spent on the agencies watched: SF is asked for far more often.
    expect(perAgency['SF']).toBeGreaterThan(2 * figures.wholeFeedDemand.SF);
    expect(figures.wholeFeedDemand.callsForUnwatchedAgencies).toBeGreaterThan(calls.length / 2);
  });

  it('splits the budget among the watched agencies and recomputes the interval when the set changes', async () => {
    const { feed, calls } = agencyFeed(['SF', 'AC', 'BA']);
    const { ctl, watchAgencies } = controller({ feed, budgetPerHour: 60, pollIntervalMs: 15_000 });
    const seen = () => calls.map((c) => `${(c.at - T0) / 1000}:${c.agency}`);
    const interval = () => ctl.feedStatus.budget!.effectiveIntervalMs;
    watchAgencies({ SF: 1 });
    expect(ctl.feedStatus).toMatchObject({ watchedAgencies: ['SF'], budget: { callsPerPoll: 1, effectiveIntervalMs: 60_000 } });
    await vi.advanceTimersByTimeAsync(90_000);
    // AC was never asked for: it is asked for at once, with SF; then every 2 × 60 s.
    watchAgencies({ SF: 1, AC: 2 });
    expect(interval()).toBe(120_000);
    await vi.advanceTimersByTimeAsync(160_000);
    watchAgencies({ SF: 1, AC: 2, BA: 1 });
    expect(ctl.feedStatus).toMatchObject({ watchedAgencies: ['SF', 'AC', 'BA'], budget: { callsPerPoll: 3, effectiveIntervalMs: 180_000 } });
    await vi.advanceTimersByTimeAsync(250_000);
    // Back to SF alone (no grace here): one interval after its last call, which is overdue.
    watchAgencies({ SF: 1 });
    expect(interval()).toBe(60_000);
    await vi.advanceTimersByTimeAsync(100_000);
    expect(seen()).toEqual(['0:SF', '60:SF', '90:SF', '90:AC', '210:SF', '210:AC', '250:SF', '250:AC', '250:BA', '430:SF', '430:AC', '430:BA', '500:SF', '560:SF']);
    watchAgencies({});
    expect(ctl.feedStatus).toMatchObject({ polling: false, watchedAgencies: [] });
    await vi.advanceTimersByTimeAsync(600_000);
    expect(calls).toHaveLength(14);
    ctl.stop();
  });

  it('429 with Retry-After: the next call waits exactly that long, also across a reload', async () => {
    const { feed, times } = scriptedFeed(1, (n) => (n === 2 ? new FeedError('rate_limited', 'upstream answered 429', { retryAfterMs: 300_000 }) : null));
    const { ctl, watch } = controller({ feed, budgetPerHour: 60, pollIntervalMs: 1000 });
    watch(1);
    await vi.advanceTimersByTimeAsync(60_000); // 0 ok, 60 s: 429
    expect(ctl.feedStatus).toMatchObject({ state: 'rate_limited', notBefore: T0 + 360_000 });
    watch(0);
    await vi.advanceTimersByTimeAsync(1_000);
    watch(1);
    await vi.advanceTimersByTimeAsync(298_999);
    expect(times).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(times.map((t) => t - T0)).toEqual([0, 60_000, 360_000]);
    expect(ctl.feedStatus.state).toBe('ok');
    ctl.stop();
  });

  it('401: state unauthorized, one probe per 15 minutes whatever the demand does, recovers when the key is accepted', async () => {
    let refused = true;
    const { feed, times } = scriptedFeed(1, () => (refused ? new FeedError('unauthorized', 'upstream answered 401') : null));
    const { ctl, watch } = controller({ feed, budgetPerHour: 60, pollIntervalMs: 1000 });
    watch(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(ctl.feedStatus.state).toBe('unauthorized');
    for (let i = 0; i < 10; i++) {
      watch(0);
      await vi.advanceTimersByTimeAsync(1_000);
      watch(1);
      await vi.advanceTimersByTimeAsync(1_000);
    }
    expect(times).toHaveLength(1);
    refused = false;
    await vi.advanceTimersByTimeAsync(UNAUTHORIZED_PROBE_MS);
    expect(times.map((t) => t - T0)).toEqual([0, UNAUTHORIZED_PROBE_MS]);
    expect(ctl.feedStatus.state).toBe('ok');
    ctl.stop();
  });

  it('fails closed when the budget store does not answer: no call, a deferral, a retry one interval later', async () => {
    const { feed, times } = scriptedFeed(1);
    let down = true;
    const memory = new MemoryCallWindow(60);
    const window: CallWindow = { kind: 'redis', limit: 60, take: (c, now) => (down ? Promise.reject(new Error('ECONNREFUSED')) : memory.take(c, now)), close: async () => undefined };
    const { ctl, watch, deferred } = controller({ feed, budgetPerHour: 60, pollIntervalMs: 1000, window });
    watch(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(times).toHaveLength(0);
    expect(deferred).toEqual([T0 + 60_000]);
    down = false;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(times.map((t) => t - T0)).toEqual([60_000]);
    expect(ctl.feedStatus.budget).toMatchObject({ perHour: 60, store: 'redis', effectiveIntervalMs: 60_000, configuredIntervalMs: 1000, callsInWindow: 1, deferrals: 1 });
    ctl.stop();
  });
});

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
  return { ctl, watch, deferred, pacing };
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

  it('a scripted day of viewing across 3 agencies: never above 60 calls in a rolling hour; calls/day against always-on', async () => {
    const random = prng(511);
    // 500s for one hour at 08:00, one 429 (Retry-After 10 min) at about noon.
    const { feed, times } = scriptedFeed(3, () => {
      const hour = new Date(Date.now()).getUTCHours();
      if (hour === 8) return new FeedError('http_error', 'upstream answered 500');
      if (hour === 12 && new Date(Date.now()).getUTCMinutes() < 3) return new FeedError('rate_limited', 'upstream answered 429', { retryAfterMs: 600_000 });
      return null;
    });
    const { ctl, watch, pacing } = controller({ feed, budgetPerHour: 60, pollIntervalMs: 15_000, graceMs: 30_000 });
    expect(pacing.intervalMs).toBe(180_000);
    // Viewers (each watching one of SF, AC, BA) come and go; busier at the commute peaks.
    let viewers = 0;
    let watchedMs = 0;
    for (let minute = 0; minute < 24 * 60; minute++) {
      const hour = Math.floor(minute / 60);
      const peak = (hour >= 7 && hour < 10) || (hour >= 16 && hour < 19);
      const night = hour < 6;
      const arrive = night ? 0.01 : peak ? 0.5 : 0.12;
      if (random() < arrive) viewers += 1;
      if (viewers > 0 && random() < 0.3) viewers -= 1;
      watch(viewers);
      if (viewers > 0) watchedMs += 60_000;
      await vi.advanceTimersByTimeAsync(60_000);
    }
    ctl.stop();
    const max = maxPerRollingHour(times);
    const figures = {
      calls: times.length,
      maxPerRollingHour: max,
      watchedHours: Math.round(watchedMs / 360_000) / 10,
      alwaysOnAtPollInterval: (86_400_000 / 15_000) * 3,
      alwaysOnAtBudget: 24 * 60,
    };
    process.stdout.write(`[figure] scripted day, 3 agencies, UPSTREAM_BUDGET_PER_HOUR=60: ${JSON.stringify(figures)}\n`);
    expect(max).toBeLessThanOrEqual(60);
    expect(times.length).toBeGreaterThan(0);
    expect(times.length).toBeLessThan(figures.alwaysOnAtBudget);
    expect(times.length % 3).toBe(0);
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

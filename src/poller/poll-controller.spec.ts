import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { computeDemand, type Demand } from '../demand/demand.js';
import { FeedError, type Feed } from '../feed/feed.js';
import { VehicleStore } from '../store/vehicle-store.js';
import { nextPollDelay } from './backoff.js';
import type { FeedStatus } from './feed-status.js';
import { PollController } from './poll-controller.js';

function countingFeed(fail = () => false): Feed & { calls: number } {
  const feed = {
    kind: 'simulator' as const,
    calls: 0,
    async fetch() {
      feed.calls += 1;
      if (fail()) throw new FeedError('http_error', 'upstream answered 503');
      return { vehicles: [{ id: `v${feed.calls}`, routeId: 'N', lat: 37.7, lon: -122.4, bearing: 0, updatedAt: 1 }], fetchedAt: Date.now() };
    },
  };
  return feed;
}

function setup(opts: { fail?: () => boolean; demand?: () => Demand; feed?: Feed } = {}) {
  let demand: Demand = { sockets: 0, fallback: false };
  const feed = countingFeed(opts.fail);
  const updates: number[] = [];
  const statuses: FeedStatus[] = [];
  const ctl = new PollController({
    feed: opts.feed ?? feed,
    store: new VehicleStore(),
    demand: opts.demand ?? (() => demand),
    intervalMs: 1000,
    graceMs: 3000,
    onUpdate: (u) => updates.push(u.snapshot.version),
    onStatus: (s) => statuses.push(s),
  });
  const setDemand = (d: Demand) => {
    demand = d;
    ctl.demandChanged();
  };
  return { feed, ctl, setDemand, updates, statuses };
}

describe('PollController', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('makes no upstream call while nobody watches', async () => {
    const { feed, ctl } = setup();
    ctl.demandChanged();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(feed.calls).toBe(0);
  });

  it('polls at once for the first viewer, then every interval, then stops after grace', async () => {
    const { feed, setDemand, updates } = setup();
    setDemand({ sockets: 1, fallback: false });
    await vi.advanceTimersByTimeAsync(0);
    expect(feed.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(feed.calls).toBe(11);
    expect(updates.length).toBe(11);
    setDemand({ sockets: 0, fallback: false });
    await vi.advanceTimersByTimeAsync(3_000);
    const atGraceEnd = feed.calls;
    expect(atGraceEnd).toBeGreaterThanOrEqual(13);
    expect(atGraceEnd).toBeLessThanOrEqual(14);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(feed.calls).toBe(atGraceEnd);
  });

  it('does not poll again for a viewer who arrives while the snapshot is fresh', async () => {
    const { feed, setDemand } = setup();
    setDemand({ sockets: 1, fallback: false });
    await vi.advanceTimersByTimeAsync(0);
    setDemand({ sockets: 0, fallback: false });
    await vi.advanceTimersByTimeAsync(3_100); // grace over, closed; last poll at +3000
    const before = feed.calls;
    setDemand({ sockets: 1, fallback: false });
    await vi.advanceTimersByTimeAsync(0);
    expect(feed.calls).toBe(before); // snapshot is 100 ms old: served from cache
    await vi.advanceTimersByTimeAsync(1_000);
    expect(feed.calls).toBe(before + 1);
  });

  it('a reload inside the grace period neither stops nor doubles polling', async () => {
    const { feed, setDemand } = setup();
    setDemand({ sockets: 1, fallback: false });
    await vi.advanceTimersByTimeAsync(0);
    setDemand({ sockets: 0, fallback: false });
    await vi.advanceTimersByTimeAsync(500);
    setDemand({ sockets: 1, fallback: false });
    await vi.advanceTimersByTimeAsync(9_500);
    expect(feed.calls).toBe(11);
  });

  it('a fallback viewer keeps polling alive until its window closes, with no further event', async () => {
    const hitAt = Date.now();
    // Demand derived from the last fallback hit: the controller re-reads it when the window ends.
    const { feed, ctl } = setup({ demand: () => computeDemand([{ sockets: 0, lastFallbackAt: hitAt }], Date.now(), 5_000) });
    ctl.demandChanged();
    await vi.advanceTimersByTimeAsync(4_999);
    expect(feed.calls).toBe(5);
    await vi.advanceTimersByTimeAsync(60_000);
    // Window (5 s) + grace (3 s): polls at 0..8 s, then nothing.
    expect(feed.calls).toBe(9);
  });

  it('backs off while upstream fails and records the cause', async () => {
    const { feed, ctl, setDemand } = setup({ fail: () => true });
    setDemand({ sockets: 1, fallback: false });
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(2_000 + 4_000 + 8_000);
    expect(feed.calls).toBe(4);
    expect(ctl.feedStatus).toMatchObject({ state: 'failing', consecutiveFailures: 4, lastError: { failure: 'http_error' } });
    ctl.stop();
  });

  it('publishes polling false once demand ends and grace passes (transit_poller_active, /readyz)', async () => {
    const { feed, ctl, setDemand, statuses } = setup();
    setDemand({ sockets: 1, fallback: false });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(statuses.at(-1)?.polling).toBe(true);
    setDemand({ sockets: 0, fallback: false });
    await vi.advanceTimersByTimeAsync(3_100);
    const calls = feed.calls;
    const published = statuses.length;
    expect(statuses.at(-1)?.polling).toBe(false);
    expect(ctl.feedStatus.polling).toBe(false); // what the metric's pollerActive reads
    await vi.advanceTimersByTimeAsync(60_000);
    expect([feed.calls, statuses.length]).toEqual([calls, published]);
  });

  it('publishes the status when one agency of several leaves the polled set, and when the last one does', async () => {
    const feed: Feed = {
      kind: '511',
      agencies: ['SF', 'AC'],
      async fetch(_signal, which = ['SF', 'AC']) {
        return { vehicles: which.map((a) => ({ id: `${a}:v`, routeId: 'N', lat: 37.7, lon: -122.4, bearing: null, updatedAt: 1 })), fetchedAt: Date.now(), calls: which.length };
      },
    };
    const watch = (agencies: string[]): Demand => ({ sockets: agencies.length, fallback: false, agencies: Object.fromEntries(agencies.map((a) => [a, { sockets: 1, fallbackUntil: 0 }])) });
    const { setDemand, statuses } = setup({ feed });
    const last = () => ({ polling: statuses.at(-1)?.polling, watched: statuses.at(-1)?.watchedAgencies });
    setDemand(watch(['SF', 'AC']));
    await vi.advanceTimersByTimeAsync(1_500);
    expect(last()).toEqual({ polling: true, watched: ['SF', 'AC'] });
    setDemand(watch(['SF']));
    await vi.advanceTimersByTimeAsync(3_100);
    expect(last()).toEqual({ polling: true, watched: ['SF'] });
    setDemand(watch([]));
    await vi.advanceTimersByTimeAsync(3_100);
    expect(last()).toEqual({ polling: false, watched: [] });
  });

  it('backoff doubles up to a cap', () => {
    expect([0, 1, 2, 3, 4, 10].map((n) => nextPollDelay(100, n))).toEqual([100, 200, 400, 800, 800, 800]);
  });
});

describe('PollController.setEnabled (another instance holds the poller lease)', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('stops at once when disabled, with no grace, and resumes on the deployment’s cadence', async () => {
    const { feed, ctl, setDemand } = setup();
    setDemand({ sockets: 1, fallback: false });
    await vi.advanceTimersByTimeAsync(2_500);
    expect(feed.calls).toBe(3);
    ctl.setEnabled(false);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(feed.calls).toBe(3);
    expect(ctl.feedStatus.polling).toBe(false);
    ctl.setEnabled(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(feed.calls).toBe(4); // the snapshot is stale by now: poll at once
  });
});

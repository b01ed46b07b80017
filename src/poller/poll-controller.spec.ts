import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { computeDemand, type Demand } from '../demand/demand.js';
import { FeedError, type Feed } from '../feed/feed.js';
import { VehicleStore } from '../store/vehicle-store.js';
import { nextPollDelay } from './backoff.js';
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

function setup(opts: { fail?: () => boolean; demand?: () => Demand } = {}) {
  let demand: Demand = { sockets: 0, fallback: false };
  const feed = countingFeed(opts.fail);
  const updates: number[] = [];
  const ctl = new PollController({
    feed,
    store: new VehicleStore(),
    demand: opts.demand ?? (() => demand),
    intervalMs: 1000,
    graceMs: 3000,
    onUpdate: (u) => updates.push(u.snapshot.version),
  });
  const setDemand = (d: Demand) => {
    demand = d;
    ctl.demandChanged();
  };
  return { feed, ctl, setDemand, updates };
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

import { describe, it, expect } from 'vitest';
import { createFeed, type FeedSettings } from './feed.factory.js';
import { GtfsRtFeed } from './gtfs-rt/gtfs-rt.feed.js';
import { SimulatorFeed } from './simulator/simulator.feed.js';

const BASE: FeedSettings = { FEED: 'simulator', FEED_TIMEOUT_MS: 1_000, SIMULATOR_SEED: 5, SIMULATOR_VEHICLES: 40 };
const T = 1_748_880_000_000;

describe('createFeed', () => {
  it('builds the simulator from its seed, fleet size and the given clock', async () => {
    const feed = createFeed(BASE, () => T);
    expect(feed).toBeInstanceOf(SimulatorFeed);
    expect(feed.kind).toBe('simulator');
    const result = await feed.fetch();
    expect(result.fetchedAt).toBe(T);
    expect(result).toEqual(await new SimulatorFeed({ seed: 5, vehicles: 40, now: () => T }).fetch());
    const other = await createFeed({ ...BASE, SIMULATOR_SEED: 6 }, () => T).fetch();
    expect(other.vehicles).not.toEqual(result.vehicles);
  });

  it('builds a GTFS-RT feed for FEED=gtfs-rt with a URL', () => {
    const feed = createFeed({ ...BASE, FEED: 'gtfs-rt', FEED_URL: 'http://127.0.0.1:9/vp' });
    expect(feed).toBeInstanceOf(GtfsRtFeed);
    expect(feed.kind).toBe('gtfs-rt');
  });

  it('refuses FEED=gtfs-rt without a URL, and an unknown FEED', () => {
    expect(() => createFeed({ ...BASE, FEED: 'gtfs-rt' })).toThrow('FEED_URL is required when FEED=gtfs-rt');
    expect(() => createFeed({ ...BASE, FEED: 'carrier-pigeon' as never })).toThrow(/unknown FEED "carrier-pigeon"/);
  });
});

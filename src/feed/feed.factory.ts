import type { Feed, FeedKind } from './feed.js';
import { GtfsRtFeed } from './gtfs-rt/gtfs-rt.feed.js';
import { SimulatorFeed } from './simulator/simulator.feed.js';

/** The part of the service config that chooses and configures the upstream feed. */
export interface FeedSettings {
  FEED: FeedKind;
  /** Required when `FEED` is `gtfs-rt`. */
  FEED_URL?: string;
  FEED_TIMEOUT_MS: number;
  /** Largest upstream body read. */
  FEED_MAX_BYTES?: number;
  SIMULATOR_SEED: number;
  SIMULATOR_VEHICLES: number;
}

/**
 * Builds the feed the config asks for. Takes settings rather than reading the
 * environment, so tests and the bench can build any feed they like.
 *
 * @param now clock for both feeds (ms since the epoch); tests pass a fake one
 * @throws Error when `FEED` is `gtfs-rt` without a `FEED_URL`
 */
export function createFeed(settings: FeedSettings, now?: () => number): Feed {
  switch (settings.FEED) {
    case 'simulator':
      return new SimulatorFeed({ seed: settings.SIMULATOR_SEED, vehicles: settings.SIMULATOR_VEHICLES, now });
    case 'gtfs-rt':
      if (!settings.FEED_URL) throw new Error('FEED_URL is required when FEED=gtfs-rt');
      return new GtfsRtFeed({ url: settings.FEED_URL, timeoutMs: settings.FEED_TIMEOUT_MS, maxBytes: settings.FEED_MAX_BYTES, now });
  }
  // Unreachable for typed callers; guards settings that bypassed the config schema.
  throw new Error(`unknown FEED ${JSON.stringify(settings.FEED)}: expected simulator or gtfs-rt`);
}

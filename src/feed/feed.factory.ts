import type { Feed, FeedKind } from './feed.js';
import { Five11Feed, type Five11Format } from './five11/five11.feed.js';
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
  /** Required when `FEED` is `511`. */
  FEED_API_KEY?: string;
  FEED_AGENCIES?: readonly string[];
  FEED_BASE_URL?: string;
  FEED_FORMAT?: Five11Format;
}

/**
 * The agencies clients may choose from: FEED_AGENCIES for `FEED=511`, none otherwise (one
 * implicit agency). `subscribe` defaults to the first; the map shows a picker for several.
 */
export function feedAgencies(settings: Pick<FeedSettings, 'FEED' | 'FEED_AGENCIES'>): readonly string[] {
  return settings.FEED === '511' ? (settings.FEED_AGENCIES ?? ['SF']) : [];
}

/**
 * Builds the feed the config asks for. Takes settings rather than reading the
 * environment, so tests and the bench can build any feed they like.
 *
 * @param now clock for both feeds (ms since the epoch); tests pass a fake one
 * @throws Error when `FEED` is `gtfs-rt` without a `FEED_URL`, or `511` without a `FEED_API_KEY`
 */
export function createFeed(settings: FeedSettings, now?: () => number): Feed {
  switch (settings.FEED) {
    case 'simulator':
      return new SimulatorFeed({ seed: settings.SIMULATOR_SEED, vehicles: settings.SIMULATOR_VEHICLES, now });
    case 'gtfs-rt':
      if (!settings.FEED_URL) throw new Error('FEED_URL is required when FEED=gtfs-rt');
      return new GtfsRtFeed({ url: settings.FEED_URL, timeoutMs: settings.FEED_TIMEOUT_MS, maxBytes: settings.FEED_MAX_BYTES, now });
    case '511':
      if (!settings.FEED_API_KEY) throw new Error('FEED_API_KEY is required when FEED=511');
      return new Five11Feed({
        apiKey: settings.FEED_API_KEY,
        agencies: settings.FEED_AGENCIES ?? ['SF'],
        baseUrl: settings.FEED_BASE_URL ?? 'https://api.511.org/transit',
        format: settings.FEED_FORMAT ?? 'siri',
        timeoutMs: settings.FEED_TIMEOUT_MS,
        maxBytes: settings.FEED_MAX_BYTES,
        now,
      });
  }
  // Unreachable for typed callers; guards settings that bypassed the config schema.
  throw new Error(`unknown FEED ${JSON.stringify(settings.FEED)}: expected simulator, gtfs-rt or 511`);
}

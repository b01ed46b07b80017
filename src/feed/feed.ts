import type { Vehicle } from '../domain/vehicle.js';

/** Names of the upstream feed implementations; `FEED` in the config picks one. */
export type FeedKind = 'simulator' | 'gtfs-rt';

/** What one successful upstream fetch returns. */
export interface FeedResult {
  vehicles: Vehicle[];
  /** Feed header timestamp (ms) if the upstream provides one, else the fetch time. */
  fetchedAt: number;
  /**
   * Entities the upstream sent that could not become a {@link Vehicle} (no position,
   * impossible coordinates, duplicates); absent when the feed cannot skip anything.
   */
  skipped?: number;
}

/**
 * An upstream source of vehicle positions. `fetch()` makes exactly one upstream call
 * (one HTTP request for real feeds) and either resolves with every vehicle or rejects
 * with a {@link FeedError} that says why.
 */
export interface Feed {
  readonly kind: FeedKind;
  fetch(signal?: AbortSignal): Promise<FeedResult>;
}

/** Why an upstream call failed; becomes the `outcome` label of the upstream metrics. */
export type FeedFailure = 'http_error' | 'timeout' | 'network' | 'malformed' | 'empty';

/** A failed upstream call with a cause that logs and metrics can name. */
export class FeedError extends Error {
  constructor(
    readonly failure: FeedFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FeedError';
  }
}

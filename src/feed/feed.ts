import type { Vehicle } from '../domain/vehicle.js';

/** Names of the upstream feed implementations; `FEED` in the config picks one. */
export type FeedKind = 'simulator' | 'gtfs-rt' | '511';

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
  /** Upstream requests this fetch made, when more than one (511.org: one per agency). @default 1 */
  calls?: number;
}

/**
 * An upstream source of vehicle positions. `fetch()` makes at most `callsPerFetch` upstream
 * calls (HTTP requests for real feeds; one unless the feed says otherwise) and either
 * resolves with every vehicle or rejects with a {@link FeedError} that says why.
 */
export interface Feed {
  readonly kind: FeedKind;
  /** Upstream requests one `fetch()` may make; the budget reserves this many per poll. @default 1 */
  readonly callsPerFetch?: number;
  /**
   * The agencies this feed serves (511.org: FEED_AGENCIES), when it can fetch them one by
   * one; absent for a feed with one implicit agency. With more than one, vehicle ids are
   * `<agency>:<id>`.
   */
  readonly agencies?: readonly string[];
  /** `agencies`: fetch only these (one upstream call each); default every agency. */
  fetch(signal?: AbortSignal, agencies?: readonly string[]): Promise<FeedResult>;
}

/**
 * Why an upstream call failed; becomes the `outcome` label of the upstream metrics.
 * `rate_limited` is a 429, `unauthorized` a 401/403 (a bad or revoked API key).
 */
export type FeedFailure = 'http_error' | 'timeout' | 'network' | 'malformed' | 'empty' | 'rate_limited' | 'unauthorized';

/** A failed upstream call with a cause that logs and metrics can name. */
export class FeedError extends Error {
  /** For `rate_limited`: how long the upstream asked us to wait (its `Retry-After`), if it said. */
  readonly retryAfterMs: number | undefined;

  constructor(
    readonly failure: FeedFailure,
    message: string,
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(message, options);
    this.name = 'FeedError';
    this.retryAfterMs = options?.retryAfterMs;
  }
}

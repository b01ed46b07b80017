import type { FeedFailure, FeedKind } from '../feed/feed.js';

/** The poller's view of upstream health, shown by `/readyz` and shipped to workers. */
export interface FeedStatus {
  feed: FeedKind;
  /** Whether the demand gate currently lets the poller run. */
  polling: boolean;
  /** `never` until the first poll; `ok` after a success; `failing` after a failure. */
  state: 'never' | 'ok' | 'failing';
  /** When the last successful poll finished, ms since the epoch. */
  lastSuccessAt: number | null;
  lastError: { failure: FeedFailure | 'unknown'; message: string; at: number } | null;
  consecutiveFailures: number;
  /** Upstream calls made since the process started. */
  calls: number;
}

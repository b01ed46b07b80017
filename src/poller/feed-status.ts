import type { FeedFailure, FeedKind } from '../feed/feed.js';

/** How the upstream budget paces the poller, for `/readyz` and logs. */
export interface BudgetStatus {
  /** Upstream calls allowed in any rolling hour; `null` = unlimited. */
  perHour: number | null;
  /** Upstream calls one poll makes (511.org: one per watched agency). */
  callsPerPoll: number;
  /** POLL_INTERVAL_MS as configured. */
  configuredIntervalMs: number;
  /** The interval used: configured, or stretched by the budget (split among the watched agencies). */
  effectiveIntervalMs: number;
  /** `memory`: this process; `redis`: shared by the deployment; `none`: unlimited. */
  store: 'memory' | 'redis' | 'none';
  /** Calls in the rolling hour as of the last budget decision; `null` before the first. */
  callsInWindow: number | null;
  /** Polls held back because the rolling hour was full (or the budget store did not answer). */
  deferrals: number;
}

/** The poller's view of upstream health, shown by `/readyz` and shipped to workers. */
export interface FeedStatus {
  feed: FeedKind;
  /** Whether the demand gate currently lets the poller run. */
  polling: boolean;
  /**
   * `never` until the first poll; `ok` after a success; `failing` after a failure;
   * `rate_limited` after a 429; `unauthorized` after a 401/403 (the key was refused: the
   * poller only probes every 15 minutes until it is accepted).
   */
  state: 'never' | 'ok' | 'failing' | 'rate_limited' | 'unauthorized';
  /** When the last successful poll finished, ms since the epoch. */
  lastSuccessAt: number | null;
  lastError: { failure: FeedFailure | 'unknown'; message: string; at: number } | null;
  consecutiveFailures: number;
  /** Upstream calls made since the process started. */
  calls: number;
  /** The earliest the next upstream call may start (ms), when a 429, a refused key or the budget holds it back. */
  notBefore?: number | null;
  /** The upstream budget; absent from instances older than the budget. */
  budget?: BudgetStatus;
  /**
   * Agencies polled now (someone watches them, or did within DEMAND_GRACE_MS), in
   * FEED_AGENCIES order; absent for a feed with one implicit agency.
   */
  watchedAgencies?: string[];
}

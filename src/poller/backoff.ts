/** The longest a failing upstream is left alone, as a multiple of the poll interval. */
export const MAX_BACKOFF_FACTOR = 8;

/**
 * Delay before the next poll: the interval while upstream is healthy, doubling per
 * consecutive failure up to {@link MAX_BACKOFF_FACTOR} × interval, so an outage does not
 * burn the daily request budget (511.org allows 60 requests/hour per key).
 */
export function nextPollDelay(intervalMs: number, consecutiveFailures: number): number {
  if (consecutiveFailures <= 0) return intervalMs;
  return intervalMs * Math.min(2 ** consecutiveFailures, MAX_BACKOFF_FACTOR);
}

/** How often a refused API key (401/403) is tried again: slow, so a bad key costs 4 calls an hour. */
export const UNAUTHORIZED_PROBE_MS = 15 * 60_000;

/** What the last upstream call said, as far as the next call's time depends on it. */
export interface LastCall {
  /** When the call started (ms). */
  started: number;
  /** When it ended (ms). */
  ended: number;
  failure: string | null;
  /** A 429's `Retry-After`, in ms from `ended`. */
  retryAfterMs?: number;
  consecutiveFailures: number;
}

/**
 * When the next upstream call may start, by what the last one answered: healthy → one
 * interval after it started; 5xx, timeout, network, malformed → {@link nextPollDelay}'s
 * doubling backoff; 429 with `Retry-After` → exactly that wait (and never sooner than one
 * interval), no extra backoff; 429 without it → the backoff; 401/403 → a slow probe every
 * {@link UNAUTHORIZED_PROBE_MS}.
 */
export function nextCallAt(intervalMs: number, last: LastCall): number {
  const normal = last.started + intervalMs;
  if (last.failure === 'unauthorized') return last.started + Math.max(intervalMs, UNAUTHORIZED_PROBE_MS);
  if (last.failure === 'rate_limited' && last.retryAfterMs !== undefined) return Math.max(normal, last.ended + last.retryAfterMs);
  return last.started + nextPollDelay(intervalMs, last.consecutiveFailures);
}

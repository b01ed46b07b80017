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

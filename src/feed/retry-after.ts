/** The longest `Retry-After` honoured; a larger value is treated as this (a broken header must not silence the map for days). */
export const MAX_RETRY_AFTER_MS = 6 * 3600_000;

/**
 * A `Retry-After` header as a wait in ms from `now` (RFC 9110 §10.2.3: delay-seconds or an
 * HTTP-date). `undefined` when the header is absent or unreadable; a date in the past is 0.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  // An HTTP-date always names its month; Date.parse alone would read "-5" as the year -5.
  if (!/[A-Za-z]{3}/.test(text)) return undefined;
  const at = Date.parse(text);
  if (!Number.isFinite(at)) return undefined;
  return Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS);
}

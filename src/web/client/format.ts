/** Text formatting shared by the status line and the data-age line. DOM-free. */

/**
 * A duration for humans: `"12 s"`, `"1.5 s"` (sub-10 s non-whole values), `"5 min"` (from 120 s),
 * `"3 h"` (from 120 min). Negative values (clock skew) count as 0.
 */
export function formatDuration(ms: number): string {
  const safe = Number.isFinite(ms) ? Math.max(0, ms) : 0;
  const seconds = safe / 1000;
  if (seconds < 10 && !Number.isInteger(seconds)) {
    const oneDecimal = Math.round(seconds * 10) / 10;
    return `${Number.isInteger(oneDecimal) ? oneDecimal.toFixed(0) : oneDecimal.toFixed(1)} s`;
  }
  if (seconds < 120) return `${Math.round(seconds)} s`;
  const minutes = seconds / 60;
  if (minutes < 120) return `${Math.floor(minutes)} min`;
  return `${Math.floor(minutes / 60)} h`;
}

/** Age of data in whole elapsed seconds (floored, never negative), in ms. */
export function dataAgeMs(now: number, generatedAt: number): number {
  return Math.max(0, Math.floor((now - generatedAt) / 1000) * 1000);
}

/** `"updated 3 s ago"`, or `"no data yet"`. */
export function formatUpdatedAgo(now: number, generatedAt: number | null): string {
  if (generatedAt === null) return 'no data yet';
  return `updated ${formatDuration(dataAgeMs(now, generatedAt))} ago`;
}

/** `"1 vehicle"`, `"12 vehicles"`. */
export function formatVehicleCount(n: number): string {
  return `${n} ${n === 1 ? 'vehicle' : 'vehicles'}`;
}

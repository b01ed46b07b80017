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

/** Readable SIRI occupancy: `seatsAvailable` → `seats available`. */
function formatOccupancy(value: string): string {
  return value.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

/**
 * The lines of a vehicle's popup: route (with headsign), vehicle label, occupancy when known,
 * and the age of its position fix. Plain text (set with textContent, never as HTML).
 */
export function vehiclePopupLines(
  v: { id: string; routeId: string; updatedAt: number; label?: string; headsign?: string; occupancy?: string },
  now: number,
): string[] {
  const route = v.routeId === '' ? 'Unknown route' : `Route ${v.routeId}`;
  const lines = [v.headsign ? `${route} → ${v.headsign}` : route, `Vehicle ${v.label ?? v.id}`];
  if (v.occupancy) lines.push(`Occupancy: ${formatOccupancy(v.occupancy)}`);
  lines.push(`Position ${formatDuration(dataAgeMs(now, v.updatedAt))} old`);
  return lines;
}

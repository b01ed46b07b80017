/** What one worker says about its viewers; absolute, never an increment. */
export interface ViewerReport {
  /** Live Socket.IO clients of that worker right now. */
  sockets: number;
  /** When the worker last served an HTTP fallback request (`/api/vehicles`), ms; 0 = never. */
  lastFallbackAt: number;
}

/** The demand of a whole instance, derived from the live reports of its workers. */
export interface Demand {
  /** Socket.IO clients summed over the live workers. */
  sockets: number;
  /** True while some HTTP fallback request is more recent than the fallback window. */
  fallback: boolean;
  /** When the fallback window closes (ms), if `fallback`. */
  fallbackUntil?: number;
}

/**
 * Sums absolute reports. A worker that exits is removed from `reports` by its owner, so
 * its viewers vanish with it: demand cannot stick above or below the truth.
 * A fallback viewer counts while its last request is within `fallbackWindowMs`
 * (2 × the map's fallback refresh interval).
 */
export function computeDemand(reports: Iterable<ViewerReport>, now: number, fallbackWindowMs: number): Demand {
  let sockets = 0;
  let lastFallbackAt = 0;
  for (const r of reports) {
    sockets += r.sockets;
    lastFallbackAt = Math.max(lastFallbackAt, r.lastFallbackAt);
  }
  const fallbackUntil = lastFallbackAt > 0 ? lastFallbackAt + fallbackWindowMs : 0;
  if (fallbackUntil > now) return { sockets, fallback: true, fallbackUntil };
  return { sockets, fallback: false };
}

/** Whether anyone is watching. */
export function hasDemand(d: Demand): boolean {
  return d.sockets > 0 || d.fallback;
}

/** The viewer count exported as a metric: sockets, plus one for live fallback demand. */
export function viewerCount(d: Demand): number {
  return d.sockets + (d.fallback ? 1 : 0);
}

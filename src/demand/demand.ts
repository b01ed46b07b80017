/** One agency's viewers on one worker; absolute, like the whole report. */
export interface AgencyViewers {
  sockets: number;
  /** When that worker last served a fallback request for this agency (ms); 0 = never. */
  lastFallbackAt: number;
}

/** What one worker says about its viewers; absolute, never an increment. */
export interface ViewerReport {
  /** Live Socket.IO clients of that worker right now. */
  sockets: number;
  /** When the worker last served an HTTP fallback request (`/api/vehicles`), ms; 0 = never. */
  lastFallbackAt: number;
  /** The same per agency watched (FEED=511 with FEED_AGENCIES); absent when the feed has one implicit agency. */
  agencies?: Record<string, AgencyViewers>;
}

/** One agency's demand over an instance (or the deployment). */
export interface AgencyDemand {
  sockets: number;
  /** Until when (ms) a fallback viewer keeps this agency watched; 0 = none. */
  fallbackUntil: number;
}

/** The demand of a whole instance, derived from the live reports of its workers. */
export interface Demand {
  /** Socket.IO clients summed over the live workers. */
  sockets: number;
  /** True while some HTTP fallback request is more recent than the fallback window. */
  fallback: boolean;
  /** When the fallback window closes (ms), if `fallback`. */
  fallbackUntil?: number;
  /** Per agency, when the reports name agencies; viewers they do not attribute watch the default agency. */
  agencies?: Record<string, AgencyDemand>;
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
  let agencies: Record<string, AgencyDemand> | undefined;
  for (const r of reports) {
    sockets += r.sockets;
    lastFallbackAt = Math.max(lastFallbackAt, r.lastFallbackAt);
    for (const [agency, v] of Object.entries(r.agencies ?? {})) {
      const a = ((agencies ??= {})[agency] ??= { sockets: 0, fallbackUntil: 0 });
      a.sockets += v.sockets;
      const until = v.lastFallbackAt > 0 ? v.lastFallbackAt + fallbackWindowMs : 0;
      a.fallbackUntil = Math.max(a.fallbackUntil, until > now ? until : 0);
    }
  }
  const fallbackUntil = lastFallbackAt > 0 ? lastFallbackAt + fallbackWindowMs : 0;
  const total: Demand = fallbackUntil > now ? { sockets, fallback: true, fallbackUntil } : { sockets, fallback: false };
  return agencies ? { ...total, agencies } : total;
}

/** Whether anyone is watching. */
export function hasDemand(d: Demand): boolean {
  return d.sockets > 0 || d.fallback;
}

/** The viewer count exported as a metric: sockets, plus one for live fallback demand. */
export function viewerCount(d: Demand): number {
  return d.sockets + (d.fallback ? 1 : 0);
}

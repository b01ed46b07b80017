import { hasDemand, type Demand } from './demand.js';

/**
 * Viewers per agency, for the gates and `transit_agency_viewers`: sockets plus one for a live
 * fallback viewer. Viewers the reports do not attribute (an instance of an older version, a
 * client that never named one) watch `agencies[0]`, the default of `subscribe`; agencies
 * outside `agencies` are ignored (a report from a differently configured instance).
 */
export function agencyViewers(demand: Demand, agencies: readonly string[], now: number): Map<string, number> {
  const out = new Map<string, number>(agencies.map((a) => [a, 0]));
  let attributedSockets = 0;
  let attributedFallback = false;
  for (const [agency, d] of Object.entries(demand.agencies ?? {})) {
    attributedSockets += d.sockets;
    const fallback = d.fallbackUntil > now;
    attributedFallback ||= fallback;
    if (out.has(agency)) out.set(agency, out.get(agency)! + d.sockets + (fallback ? 1 : 0));
  }
  const first = agencies[0];
  if (first !== undefined) {
    const rest = Math.max(0, demand.sockets - attributedSockets) + (demand.fallback && !attributedFallback ? 1 : 0);
    out.set(first, out.get(first)! + rest);
  }
  return out;
}

/**
 * The agencies someone watches now, in `agencies` order. With no agencies (a feed with one
 * implicit agency) the answer is `['']` while anyone watches, else none.
 */
export function watchedAgencies(demand: Demand, agencies: readonly string[], now: number): string[] {
  if (agencies.length === 0) return hasDemand(demand) ? [''] : [];
  const viewers = agencyViewers(demand, agencies, now);
  return agencies.filter((a) => viewers.get(a)! > 0);
}

/** The earliest moment (ms) a fallback viewer stops holding some agency open, if any. */
export function nextFallbackExpiry(demand: Demand, now: number): number | null {
  const ends = [demand.fallback ? (demand.fallbackUntil ?? 0) : 0, ...Object.values(demand.agencies ?? {}).map((d) => d.fallbackUntil)].filter((t) => t > now);
  return ends.length > 0 ? Math.min(...ends) : null;
}

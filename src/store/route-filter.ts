import type { Delta, Snapshot, Vehicle } from '../domain/vehicle.js';

/** A client's route subscription: `null` means every route. */
export type RouteSet = ReadonlySet<string> | null;

/**
 * The agency a client watches when the feed serves several (vehicle ids are then
 * `<agency>:<id>`); `null` = the feed's only agency, nothing to filter.
 */
export type AgencyView = string | null;

/** Stable key of a subscription, so clients with the same routes (and agency) share one payload. */
export function routeSetKey(routes: RouteSet, agency: AgencyView = null): string {
  const key = routes === null ? '*' : [...routes].sort().join(',');
  return agency === null ? key : `${agency}|${key}`;
}

/** Whether vehicle `id` belongs to `agency` (always, for `null`). */
export function ofAgency(id: string, agency: AgencyView): boolean {
  return agency === null || (id.startsWith(agency) && id.charCodeAt(agency.length) === 58); // ':'
}

/** The snapshot as a client subscribed to `routes` (of `agency`) sees it. */
export function filterSnapshot(snapshot: Snapshot, routes: RouteSet, agency: AgencyView = null): Snapshot {
  if (routes === null && agency === null) return snapshot;
  return { ...snapshot, vehicles: snapshot.vehicles.filter((v) => ofAgency(v.id, agency) && (routes === null || routes.has(v.routeId))) };
}

/**
 * The delta as a client subscribed to `routes` sees it. A vehicle that moved from a
 * subscribed route onto another one becomes a removal for this client, so its marker
 * does not linger; `previous` is the snapshot the delta starts from.
 */
export function filterDelta(delta: Delta, routes: RouteSet, previous: ReadonlyMap<string, Vehicle>, agency: AgencyView = null): Delta {
  if (routes === null && agency === null) return delta;
  if (routes === null) {
    return { ...delta, upserts: delta.upserts.filter((v) => ofAgency(v.id, agency)), removals: delta.removals.filter((id) => ofAgency(id, agency)) };
  }
  const upserts: Vehicle[] = [];
  const removals: string[] = [];
  for (const v of delta.upserts) {
    if (!ofAgency(v.id, agency)) continue; // ids carry the agency: a vehicle never changes agency
    if (routes.has(v.routeId)) upserts.push(v);
    else if (routes.has(previous.get(v.id)?.routeId ?? '\0')) removals.push(v.id);
  }
  for (const id of delta.removals) {
    if (ofAgency(id, agency) && routes.has(previous.get(id)?.routeId ?? '\0')) removals.push(id);
  }
  return { ...delta, upserts, removals };
}

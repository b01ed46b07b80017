import type { Delta, Snapshot, Vehicle } from '../domain/vehicle.js';

/** A client's route subscription: `null` means every route. */
export type RouteSet = ReadonlySet<string> | null;

/** Stable key of a subscription, so clients with the same routes share one payload. */
export function routeSetKey(routes: RouteSet): string {
  return routes === null ? '*' : [...routes].sort().join(',');
}

/** The snapshot as a client subscribed to `routes` sees it. */
export function filterSnapshot(snapshot: Snapshot, routes: RouteSet): Snapshot {
  if (routes === null) return snapshot;
  return { ...snapshot, vehicles: snapshot.vehicles.filter((v) => routes.has(v.routeId)) };
}

/**
 * The delta as a client subscribed to `routes` sees it. A vehicle that moved from a
 * subscribed route onto another one becomes a removal for this client, so its marker
 * does not linger; `previous` is the snapshot the delta starts from.
 */
export function filterDelta(delta: Delta, routes: RouteSet, previous: ReadonlyMap<string, Vehicle>): Delta {
  if (routes === null) return delta;
  const upserts: Vehicle[] = [];
  const removals: string[] = [];
  for (const v of delta.upserts) {
    if (routes.has(v.routeId)) upserts.push(v);
    else if (routes.has(previous.get(v.id)?.routeId ?? '\0')) removals.push(v.id);
  }
  for (const id of delta.removals) {
    if (routes.has(previous.get(id)?.routeId ?? '\0')) removals.push(id);
  }
  return { ...delta, upserts, removals };
}

import type { Vehicle } from '../domain/vehicle.js';

/** Two positions are "the same" when every served field is equal. */
export function sameVehicle(a: Vehicle, b: Vehicle): boolean {
  return (
    a.routeId === b.routeId &&
    a.lat === b.lat &&
    a.lon === b.lon &&
    a.bearing === b.bearing &&
    a.updatedAt === b.updatedAt &&
    a.label === b.label &&
    a.headsign === b.headsign &&
    a.direction === b.direction &&
    a.occupancy === b.occupancy
  );
}

/**
 * What changed from `prev` to `next`: vehicles that are new or moved (upserts) and ids
 * that vanished (removals). Duplicate ids in `next` keep the last entry, as a feed that
 * repeats a vehicle means its newest report.
 */
export function diffVehicles(
  prev: ReadonlyMap<string, Vehicle>,
  next: readonly Vehicle[],
): { upserts: Vehicle[]; removals: string[] } {
  const nextById = indexById(next);
  const upserts: Vehicle[] = [];
  for (const v of nextById.values()) {
    const old = prev.get(v.id);
    if (!old || !sameVehicle(old, v)) upserts.push(v);
  }
  const removals: string[] = [];
  for (const id of prev.keys()) if (!nextById.has(id)) removals.push(id);
  return { upserts, removals };
}

/** Vehicles keyed by id; a later duplicate replaces an earlier one. */
export function indexById(vehicles: readonly Vehicle[]): Map<string, Vehicle> {
  const byId = new Map<string, Vehicle>();
  for (const v of vehicles) byId.set(v.id, v);
  return byId;
}

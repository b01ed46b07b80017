import type { Vehicle } from '../domain/vehicle.js';

/**
 * One vehicle per id from a feed's entries: `null` entries (unusable) and repeats count as
 * skipped; of a repeated id the freshest fix wins, since downstream diffs are keyed by id.
 */
export function freshestById(candidates: Iterable<Vehicle | null>): { vehicles: Vehicle[]; skipped: number } {
  const byId = new Map<string, Vehicle>();
  let skipped = 0;
  for (const vehicle of candidates) {
    const seen = vehicle && byId.get(vehicle.id);
    if (!vehicle) skipped++;
    else if (!seen) byId.set(vehicle.id, vehicle);
    else {
      skipped++;
      if (vehicle.updatedAt > seen.updatedAt) byId.set(vehicle.id, vehicle);
    }
  }
  return { vehicles: [...byId.values()], skipped };
}

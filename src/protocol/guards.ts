/**
 * Light validation of what the server sends, for clients (the browser map, the k6 library):
 * a payload that fails is dropped whole, never half-applied. Dependency-free, like wire.ts.
 */
import type { Delta, Snapshot, Vehicle } from './wire.js';

export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export const isFiniteNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

export function isVehicle(x: unknown): x is Vehicle {
  return (
    isRecord(x) &&
    typeof x['id'] === 'string' &&
    typeof x['routeId'] === 'string' &&
    isFiniteNumber(x['lat']) &&
    isFiniteNumber(x['lon']) &&
    (x['bearing'] === null || isFiniteNumber(x['bearing'])) &&
    isFiniteNumber(x['updatedAt'])
  );
}

/** A snapshot: `vehicles:snapshot` event or `GET /api/vehicles` body. Invalid vehicles fail the whole payload. */
export function isSnapshot(x: unknown): x is Snapshot {
  return isRecord(x) && isFiniteNumber(x['version']) && isFiniteNumber(x['generatedAt']) && Array.isArray(x['vehicles']) && x['vehicles'].every(isVehicle);
}

export function isDelta(x: unknown): x is Delta {
  return (
    isRecord(x) &&
    isFiniteNumber(x['fromVersion']) &&
    isFiniteNumber(x['version']) &&
    isFiniteNumber(x['generatedAt']) &&
    Array.isArray(x['upserts']) &&
    x['upserts'].every(isVehicle) &&
    Array.isArray(x['removals']) &&
    x['removals'].every((id) => typeof id === 'string')
  );
}

/**
 * Wire types of the browser app and light validation of what the server sends.
 * DOM-free: unit-tested under vitest's node environment.
 */
import type { Delta, Snapshot, Vehicle } from '../../domain/vehicle.js';

export type { Delta, Snapshot, Vehicle };

/** `GET /api/config`. */
export interface ClientConfig {
  /** Leaflet tile URL template; `""` = no tile layer (plain background). */
  tileUrl: string;
  /** Optional attribution HTML for the tile layer (the server may add `tileAttribution`). */
  tileAttribution: string;
  /** How often the HTTP fallback polls `GET /api/vehicles` while the socket is down. */
  fallbackIntervalMs: number;
  /** Agencies `subscribe` may name (the first is the server's default); the picker shows for more than one. */
  agencies: string[];
}

export const DEFAULT_CONFIG: ClientConfig = {
  tileUrl: '',
  tileAttribution: '',
  fallbackIntervalMs: 30_000,
  agencies: [],
};

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const isFiniteNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** Reads `/api/config`, keeping defaults for anything missing or malformed. */
export function parseConfig(raw: unknown): ClientConfig {
  const config = { ...DEFAULT_CONFIG };
  if (!isRecord(raw)) return config;
  if (typeof raw['tileUrl'] === 'string') config.tileUrl = raw['tileUrl'].trim();
  if (typeof raw['tileAttribution'] === 'string') config.tileAttribution = raw['tileAttribution'];
  const interval = raw['fallbackIntervalMs'];
  if (isFiniteNumber(interval) && interval >= 100) config.fallbackIntervalMs = interval;
  const agencies = raw['agencies'];
  if (Array.isArray(agencies)) config.agencies = agencies.filter((a): a is string => typeof a === 'string' && /^[A-Za-z0-9_-]{1,32}$/.test(a));
  return config;
}

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
  return (
    isRecord(x) &&
    isFiniteNumber(x['version']) &&
    isFiniteNumber(x['generatedAt']) &&
    Array.isArray(x['vehicles']) &&
    x['vehicles'].every(isVehicle)
  );
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

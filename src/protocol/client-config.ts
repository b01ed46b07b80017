/** `GET /api/config`: what the server tells its browser map, and how the map reads it. */
import { isFiniteNumber, isRecord } from './guards.js';
import { AGENCY_PATTERN } from './wire.js';

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

/** Reads `/api/config`, keeping defaults for anything missing or malformed. */
export function parseConfig(raw: unknown): ClientConfig {
  const config = { ...DEFAULT_CONFIG };
  if (!isRecord(raw)) return config;
  if (typeof raw['tileUrl'] === 'string') config.tileUrl = raw['tileUrl'].trim();
  if (typeof raw['tileAttribution'] === 'string') config.tileAttribution = raw['tileAttribution'];
  const interval = raw['fallbackIntervalMs'];
  if (isFiniteNumber(interval) && interval >= 100) config.fallbackIntervalMs = interval;
  const agencies = raw['agencies'];
  if (Array.isArray(agencies)) config.agencies = agencies.filter((a): a is string => typeof a === 'string' && AGENCY_PATTERN.test(a));
  return config;
}

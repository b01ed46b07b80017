import type { Vehicle } from '../../domain/vehicle.js';
import { FeedError, type FeedResult } from '../feed.js';
import { freshestById } from '../freshest.js';
import { isPlausibleCoordinate, normaliseBearing } from '../gtfs-rt/gtfs-rt.decode.js';

/**
 * Fixes older than this (against the delivery's `ResponseTimestamp`) are dropped and counted
 * as skipped: 511.org keeps reporting vehicles parked at a depot for hours, and a map that
 * shows them as live misleads. Younger stale fixes are kept with their real time (the popup
 * shows the age).
 */
export const MAX_FIX_AGE_MS = 30 * 60_000;

type Json = Record<string, unknown>;

/**
 * Decodes 511.org's SIRI VehicleMonitoring JSON (`format=json`) into vehicles.
 *
 * What the real feed does and this tolerates: a UTF-8 byte-order mark before the JSON; a
 * single object where SIRI means a list (`VehicleMonitoringDelivery`, `VehicleActivity`,
 * `DestinationName`); numbers sent as strings; a missing or empty `Bearing`; a missing,
 * future or stale `RecordedAtTime` (see {@link MAX_FIX_AGE_MS}); a delivery with no
 * `VehicleActivity` at all (zero vehicles, a valid quiet night). A body that is not JSON, or
 * JSON without `Siri.ServiceDelivery`, is `malformed`; zero bytes are `empty`.
 *
 * @param receivedAt ms since the epoch; stands in for timestamps the feed leaves out
 */
export function decodeVehicleMonitoring(bytes: Uint8Array, receivedAt: number): FeedResult {
  const delivery = parseServiceDelivery(bytes);
  const fetchedAt = parseTime(delivery['ResponseTimestamp']) ?? receivedAt;
  const activities = asArray(delivery['VehicleMonitoringDelivery']).flatMap((vmd) => asArray(isObject(vmd) ? vmd['VehicleActivity'] : undefined));
  return { ...freshestById(activities.map((a) => (isObject(a) ? toVehicle(a, fetchedAt) : null))), fetchedAt };
}

function parseServiceDelivery(bytes: Uint8Array): Json {
  if (bytes.byteLength === 0) throw new FeedError('empty', 'SIRI feed body is empty (0 bytes)');
  // TextDecoder drops a leading BOM by default (ignoreBOM: false); the replace covers a
  // BOM that was itself re-encoded upstream.
  const text = new TextDecoder('utf-8').decode(bytes).replace(/^\uFEFF/, '');
  if (text.trim() === '') throw new FeedError('empty', `SIRI feed body is blank (${bytes.byteLength} bytes)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new FeedError('malformed', `SIRI feed is not JSON (${bytes.byteLength} bytes): ${why}`, { cause });
  }
  const siri = isObject(parsed) ? parsed['Siri'] : undefined;
  const delivery = isObject(siri) ? siri['ServiceDelivery'] : undefined;
  if (!isObject(delivery)) {
    throw new FeedError('malformed', `SIRI feed has no Siri.ServiceDelivery (${bytes.byteLength} bytes)`);
  }
  return delivery;
}

/** One `VehicleActivity` as a Vehicle, or `null` when it has no id, no usable position or a fix too old to show. */
function toVehicle(activity: Json, fetchedAt: number): Vehicle | null {
  const journey = activity['MonitoredVehicleJourney'];
  if (!isObject(journey)) return null;
  const id = text(journey['VehicleRef']);
  const location = journey['VehicleLocation'];
  if (!id || !isObject(location)) return null;
  const lat = number(location['Latitude']);
  const lon = number(location['Longitude']);
  if (lat === null || lon === null || !isPlausibleCoordinate(lat, lon)) return null;
  const recorded = parseTime(activity['RecordedAtTime']);
  // A fix from the future is a clock error upstream: it is no newer than the delivery.
  const updatedAt = recorded === undefined ? fetchedAt : Math.min(recorded, fetchedAt);
  if (fetchedAt - updatedAt > MAX_FIX_AGE_MS) return null;
  const vehicle: Vehicle = {
    id,
    routeId: text(journey['LineRef']) ?? '',
    lat,
    lon,
    bearing: normaliseBearing(number(journey['Bearing'])),
    updatedAt,
    label: id,
  };
  const headsign = text(journey['DestinationName']);
  const direction = text(journey['DirectionRef']);
  const occupancy = text(journey['Occupancy']);
  if (headsign) vehicle.headsign = headsign;
  if (direction) vehicle.direction = direction;
  if (occupancy) vehicle.occupancy = occupancy;
  return vehicle;
}

/** SIRI lists as JSON: absent → [], one object → [it], a list → itself. */
export function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A SIRI text: a string, a number, the first of a list, or `{ value }`; trimmed, `undefined` when blank. */
function text(value: unknown): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  const raw = isObject(first) ? first['value'] : first;
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  if (typeof raw !== 'string') return undefined;
  const trimmed = raw.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** A number sent as a number or as a numeric string; `null` otherwise. */
function number(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string' || value.trim() === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** An ISO 8601 time as ms since the epoch; `undefined` when absent or unreadable. */
function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const at = Date.parse(value);
  return Number.isFinite(at) ? at : undefined;
}

import GtfsRealtimeBindings, { type transit_realtime as rt } from 'gtfs-realtime-bindings';
import type { Vehicle } from '../../domain/vehicle.js';
import { FeedError, type FeedResult } from '../feed.js';
import { freshestById } from '../freshest.js';

// CommonJS bindings: under nodenext ESM only the default export (module.exports) is reliable.
const { transit_realtime } = GtfsRealtimeBindings;

/** A protobuf uint64 as the bindings hand it out: a number, or a `Long` when long.js is loaded. */
type Uint64 = number | { toNumber(): number } | string | null | undefined;

/**
 * Decodes a GTFS-Realtime VehiclePositions feed into vehicles.
 *
 * Entities without a position, with impossible coordinates, or repeating a vehicle id
 * are skipped and counted in `skipped`: one bad entity must not cost the whole feed.
 * A feed that decodes to zero vehicles is valid (a quiet night); bytes that are not a
 * FeedMessage at all throw {@link FeedError} `malformed` (`empty` for zero bytes).
 *
 * @param receivedAt ms since the epoch; stands in for timestamps the feed leaves out
 */
export function decodeVehiclePositions(bytes: Uint8Array, receivedAt: number): FeedResult {
  const message = decodeMessage(bytes);
  const fetchedAt = secondsToMs(message.header.timestamp) ?? receivedAt;
  return { ...freshestById(message.entity.map((entity) => toVehicle(entity, fetchedAt))), fetchedAt };
}

/** Parses the bytes, turning every way they can fail to be a FeedMessage into a FeedError. */
function decodeMessage(bytes: Uint8Array): rt.FeedMessage {
  if (bytes.byteLength === 0) {
    throw new FeedError('empty', 'GTFS-RT feed body is empty (0 bytes)');
  }
  let message: rt.FeedMessage;
  try {
    message = transit_realtime.FeedMessage.decode(bytes);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new FeedError('malformed', `GTFS-RT feed is not a valid FeedMessage (${bytes.byteLength} bytes): ${why}`, {
      cause,
    });
  }
  // proto2 makes the header required and the decoder checks it, but a future bindings
  // release may not: without a header nothing says this is GTFS-RT at all.
  if (!message.header) {
    throw new FeedError('malformed', `GTFS-RT feed has no header (${bytes.byteLength} bytes)`);
  }
  return message;
}

/** The entity as a Vehicle, or `null` when it carries no usable position. */
function toVehicle(entity: rt.IFeedEntity, fallbackTime: number): Vehicle | null {
  const vp = entity.vehicle;
  const position = vp?.position;
  if (!vp || !position || entity.isDeleted) return null;
  const { latitude: lat, longitude: lon } = position;
  if (!isPlausibleCoordinate(lat, lon)) return null;
  const id = vp.vehicle?.id || entity.id;
  if (!id) return null;
  const label = vp.vehicle?.label;
  return {
    id,
    routeId: vp.trip?.routeId || '',
    lat: shortestFloat32(lat),
    lon: shortestFloat32(lon),
    bearing: Object.hasOwn(position, 'bearing') ? normaliseBearing(position.bearing) : null,
    updatedAt: secondsToMs(vp.timestamp) ?? fallbackTime,
    // VehiclePosition has no headsign field: GTFS-RT vehicles only gain a label.
    ...(label ? { label } : {}),
  };
}

/** Rejects NaN, out-of-range and the 0,0 "null island" fix that broken GPS units report. */
export function isPlausibleCoordinate(lat: number, lon: number): boolean {
  if (!Number.isFinite(lat) || !Number.isFinite(lon)) return false;
  if (Math.abs(lat) > 90 || Math.abs(lon) > 180) return false;
  return !(lat === 0 && lon === 0);
}

/** Any finite angle as integer degrees 0–359; `null` for non-numbers. */
export function normaliseBearing(value: number | null | undefined): number | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  return ((Math.round(value) % 360) + 360) % 360;
}

/**
 * A uint64 POSIX time in seconds as ms, or `undefined` when absent/zero. Values that are
 * already in ms (a common feed bug: more than 10^11 "seconds" is past the year 5000)
 * are passed through rather than multiplied into nonsense.
 */
export function secondsToMs(value: Uint64): number | undefined {
  if (value === null || value === undefined) return undefined;
  const n = typeof value === 'object' ? value.toNumber() : Number(value);
  if (!Number.isFinite(n) || n <= 0) return undefined;
  return n > 1e11 ? Math.round(n) : Math.round(n * 1000);
}

/**
 * The shortest decimal that is the same float32 as `value`. Positions are float32 on the
 * wire, so 37.77 arrives as 37.77000045776367; this gives back 37.77, dropping only
 * digits the wire format never carried (like printing a float32 in C).
 */
export function shortestFloat32(value: number): number {
  const f = Math.fround(value);
  // Nine significant digits always identify a float32 uniquely, so the loop ends by then.
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(f.toPrecision(digits));
    if (Math.fround(candidate) === f) return candidate;
  }
  return Number(f.toPrecision(9));
}

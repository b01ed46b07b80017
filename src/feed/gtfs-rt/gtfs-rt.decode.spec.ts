import GtfsRealtimeBindings, { type transit_realtime as rt } from 'gtfs-realtime-bindings';
import { describe, it, expect } from 'vitest';
import type { Vehicle } from '../../domain/vehicle.js';
import { FeedError } from '../feed.js';
import { mulberry32 } from '../simulator/prng.js';
import { SimulatorFeed } from '../simulator/simulator.feed.js';
import { decodeVehiclePositions, normaliseBearing, secondsToMs, shortestFloat32 } from './gtfs-rt.decode.js';
import { encodeVehiclePositions } from './gtfs-rt.encode.js';

const { transit_realtime } = GtfsRealtimeBindings;
const T = 1_748_880_000_000; // 2025-06-02T16:00:00Z, whole seconds
const RECEIVED = T + 4_321;

/** Encodes a hand-built FeedMessage, for shapes the vehicle encoder would never produce. */
function encodeRaw(message: rt.IFeedMessage): Uint8Array {
  return transit_realtime.FeedMessage.encode(transit_realtime.FeedMessage.create(message)).finish();
}

const header = (timestamp?: number): rt.IFeedHeader => ({ gtfsRealtimeVersion: '2.0', timestamp });
const positioned = (id: string, latitude: number, longitude: number): rt.IFeedEntity => ({
  id,
  vehicle: { vehicle: { id }, position: { latitude, longitude } },
});

function expectFeedError(fn: () => unknown, failure: string, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(FeedError);
  expect((caught as FeedError).failure).toBe(failure);
  expect((caught as FeedError).message).toMatch(message);
}

describe('encode → decode round trip', () => {
  it('returns the same vehicles (positions to float32 precision, times to the second)', async () => {
    const { vehicles } = await new SimulatorFeed({ seed: 2, vehicles: 50, now: () => T + 999 }).fetch();
    const extra: Vehicle[] = [
      { id: 'no-bearing', routeId: '', lat: 37.77, lon: -122.42, bearing: null, updatedAt: T - 30_000 },
      { id: 'due-north', routeId: '22', lat: 37.78, lon: -122.43, bearing: 0, updatedAt: T },
    ];
    const sent = [...vehicles, ...extra];
    const result = decodeVehiclePositions(encodeVehiclePositions(sent, T + 500), RECEIVED);

    expect(result.fetchedAt).toBe(T);
    expect(result.skipped).toBe(0);
    expect(result.vehicles).toHaveLength(sent.length);
    result.vehicles.forEach((got, i) => {
      const want = sent[i]!;
      expect(got).toMatchObject({ id: want.id, routeId: want.routeId, bearing: want.bearing });
      expect(got.updatedAt).toBe(Math.floor(want.updatedAt / 1000) * 1000);
      // float32 on the wire: ~4e-6° of error at SF's longitude.
      expect(Math.abs(got.lat - want.lat)).toBeLessThan(1e-5);
      expect(Math.abs(got.lon - want.lon)).toBeLessThan(1e-5);
    });
  });

  it('decodes a feed with a header and no entities as zero vehicles, not an error', () => {
    const result = decodeVehiclePositions(encodeVehiclePositions([], T), RECEIVED);
    expect(result).toEqual({ vehicles: [], fetchedAt: T, skipped: 0 });
  });
});

describe('timestamps and fallbacks', () => {
  it('falls back to the header time, then to receivedAt, and to the entity id', () => {
    const noVehicleTime = encodeRaw({ header: header(T / 1000), entity: [positioned('e1', 37.77, -122.41)] });
    expect(decodeVehiclePositions(noVehicleTime, RECEIVED).vehicles[0]).toMatchObject({ updatedAt: T, id: 'e1' });

    const noTimes = encodeRaw({
      header: header(),
      entity: [{ id: 'entity-7', vehicle: { position: { latitude: 37.77, longitude: -122.41 } } }],
    });
    const result = decodeVehiclePositions(noTimes, RECEIVED);
    expect(result.fetchedAt).toBe(RECEIVED);
    expect(result.vehicles[0]).toEqual({
      id: 'entity-7', routeId: '', lat: 37.77, lon: -122.41, bearing: null, updatedAt: RECEIVED,
    });
  });

  it('converts uint64 seconds given as number, Long-like or string, and passes millisecond values through', () => {
    expect(secondsToMs(1_748_880_000)).toBe(T);
    expect(secondsToMs({ toNumber: () => 1_748_880_000 })).toBe(T);
    expect(secondsToMs('1748880000')).toBe(T);
    expect(secondsToMs(T)).toBe(T);
    expect(secondsToMs(0)).toBeUndefined();
    expect(secondsToMs(null)).toBeUndefined();
    expect(secondsToMs('soon')).toBeUndefined();
  });

  it('normalises bearings to whole degrees 0–359', () => {
    expect(normaliseBearing(45.4)).toBe(45);
    expect(normaliseBearing(359.6)).toBe(0);
    expect(normaliseBearing(-90)).toBe(270);
    expect(normaliseBearing(720.2)).toBe(0);
    expect(normaliseBearing(Number.NaN)).toBeNull();
    expect(normaliseBearing(undefined)).toBeNull();

    const bytes = encodeRaw({
      header: header(T / 1000),
      entity: [{ id: 'b', vehicle: { position: { latitude: 37.7, longitude: -122.4, bearing: -45 } } }],
    });
    expect(decodeVehiclePositions(bytes, RECEIVED).vehicles[0]!.bearing).toBe(315);
  });
});

describe('shortestFloat32', () => {
  it('recovers the decimal a producer wrote from its float32 image', () => {
    expect(Math.fround(37.77)).not.toBe(37.77);
    expect(shortestFloat32(Math.fround(37.77))).toBe(37.77);
    expect(shortestFloat32(Math.fround(-122.41))).toBe(-122.41);
    expect(shortestFloat32(Math.fround(37.774512))).toBeCloseTo(37.774512, 5);
    expect(shortestFloat32(0.5)).toBe(0.5);
  });
});

describe('entity skipping', () => {
  it('skips and counts entities without a usable position, keeping the rest', () => {
    const bytes = encodeRaw({
      header: header(T / 1000),
      entity: [
        positioned('ok-1', 37.77, -122.42),
        { id: 'trip-update-only', tripUpdate: { trip: { routeId: 'N' }, stopTimeUpdate: [] } },
        { id: 'no-position', vehicle: { vehicle: { id: 'bus-9' }, trip: { routeId: '5' } } },
        positioned('lat-too-big', 91, -122.42),
        positioned('lon-too-small', 37.77, -181),
        positioned('null-island', 0, 0),
        positioned('nan', Number.NaN, -122.42),
        { ...positioned('deleted', 37.77, -122.42), isDeleted: true },
        { id: 'ok-2', vehicle: { trip: { routeId: '38R' }, position: { latitude: 37.78, longitude: -122.41 } } },
      ],
    });
    const result = decodeVehiclePositions(bytes, RECEIVED);
    expect(result.vehicles.map((v) => [v.id, v.routeId])).toEqual([
      ['ok-1', ''],
      ['ok-2', '38R'],
    ]);
    expect(result.skipped).toBe(7);
  });

  it('keeps only the freshest of entities repeating a vehicle id, and counts the others', () => {
    const twice = (id: string, seconds: number, lat: number): rt.IFeedEntity => ({
      id,
      vehicle: { vehicle: { id: 'bus-1' }, position: { latitude: lat, longitude: -122.4 }, timestamp: seconds },
    });
    const s = T / 1000;
    const bytes = encodeRaw({
      header: header(s),
      entity: [twice('a', s - 20, 37.71), twice('b', s, 37.72), twice('c', s - 40, 37.73)],
    });
    const result = decodeVehiclePositions(bytes, RECEIVED);
    expect(result.vehicles).toHaveLength(1);
    expect(result.vehicles[0]).toMatchObject({ id: 'bus-1', lat: 37.72, updatedAt: T });
    expect(result.skipped).toBe(2);
  });
});

describe('malformed input', () => {
  const valid = encodeVehiclePositions(
    [
      { id: 'a', routeId: 'N', lat: 37.76, lon: -122.5, bearing: 90, updatedAt: T },
      { id: 'b', routeId: 'J', lat: 37.75, lon: -122.43, bearing: 10, updatedAt: T },
    ],
    T,
  );

  it('reports random bytes as malformed, naming the size and the decoder error', () => {
    const rand = mulberry32(1234);
    const garbage = Uint8Array.from({ length: 64 }, () => Math.floor(rand() * 256));
    expectFeedError(() => decodeVehiclePositions(garbage, RECEIVED), 'malformed', /not a valid FeedMessage \(64 bytes\): \w+/);
  });

  it('reports an HTML error page served as 200 as malformed', () => {
    const html = new TextEncoder().encode('<html><body>502 Bad Gateway</body></html>');
    expectFeedError(() => decodeVehiclePositions(html, RECEIVED), 'malformed', /wire type/);
  });

  it('reports a truncated message as malformed', () => {
    const truncated = valid.subarray(0, valid.length - 3);
    expectFeedError(() => decodeVehiclePositions(truncated, RECEIVED), 'malformed', /index out of range/);
  });

  it('reports a message without the required header as malformed', () => {
    // The encoder refuses a message without a header, so write field 2 (entity) by hand.
    const entity = transit_realtime.FeedEntity.encode(positioned('a', 37.7, -122.4)).finish();
    expect(entity.length).toBeLessThan(128); // one-byte varint length below
    const headless = Uint8Array.from([0x12, entity.length, ...entity]);
    expectFeedError(() => decodeVehiclePositions(headless, RECEIVED), 'malformed', /header/);
  });

  it('reports zero bytes as empty', () => {
    expectFeedError(() => decodeVehiclePositions(new Uint8Array(0), RECEIVED), 'empty', /empty \(0 bytes\)/);
  });

  it('keeps the decoder error as the cause', () => {
    try {
      decodeVehiclePositions(valid.subarray(0, 10), RECEIVED);
      expect.unreachable('should have thrown');
    } catch (err) {
      expect((err as FeedError).cause).toBeInstanceOf(Error);
    }
  });
});

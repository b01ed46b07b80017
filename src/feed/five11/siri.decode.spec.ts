import { describe, expect, it } from 'vitest';
import { FeedError } from '../feed.js';
import { decodeVehicleMonitoring, MAX_FIX_AGE_MS } from './siri.decode.js';

const NOW = Date.parse('2026-12-02T20:00:00Z');
const enc = (x: unknown, bom = true) => new TextEncoder().encode(`${bom ? '\uFEFF' : ''}${typeof x === 'string' ? x : JSON.stringify(x)}`);

/** One VehicleActivity as 511.org sends it (numbers as strings). */
function activity(over: Record<string, unknown> = {}, recorded = '2026-12-02T19:59:30Z') {
  return {
    RecordedAtTime: recorded,
    MonitoredVehicleJourney: {
      LineRef: '14',
      DirectionRef: 'IB',
      DestinationName: 'Mission St & 11th St',
      VehicleLocation: { Longitude: '-122.41766', Latitude: '37.76327' },
      Bearing: '45.0000000000',
      Occupancy: 'seatsAvailable',
      VehicleRef: '5812',
      ...over,
    },
  };
}

const delivery = (vmd: unknown) => ({ Siri: { ServiceDelivery: { ResponseTimestamp: '2026-12-02T20:00:00Z', ProducerRef: 'SF', Status: true, VehicleMonitoringDelivery: vmd } } });

describe('decodeVehicleMonitoring (511.org SIRI JSON)', () => {
  it('maps a MonitoredVehicleJourney onto the vehicle, through the BOM', () => {
    const r = decodeVehicleMonitoring(enc(delivery([{ VehicleActivity: [activity()] }])), 0);
    expect(r.fetchedAt).toBe(NOW);
    expect(r.vehicles).toEqual([
      { id: '5812', routeId: '14', lat: 37.76327, lon: -122.41766, bearing: 45, updatedAt: NOW - 30_000, label: '5812', headsign: 'Mission St & 11th St', direction: 'IB', occupancy: 'seatsAvailable' },
    ]);
  });

  it('takes single objects where SIRI means lists, and a DestinationName list', () => {
    const one = activity({ DestinationName: ['Ocean Beach'] });
    const r = decodeVehicleMonitoring(enc(delivery({ VehicleActivity: one })), 0);
    expect(r.vehicles.map((v) => [v.id, v.headsign])).toEqual([['5812', 'Ocean Beach']]);
  });

  it('keeps a vehicle without bearing or occupancy (bearing null, fields absent)', () => {
    const r = decodeVehicleMonitoring(enc(delivery([{ VehicleActivity: [activity({ Bearing: null, Occupancy: undefined, DestinationName: '' })] }])), 0);
    expect(r.vehicles[0]).toMatchObject({ bearing: null });
    expect(r.vehicles[0]).not.toHaveProperty('occupancy');
    expect(r.vehicles[0]).not.toHaveProperty('headsign');
  });

  it('keeps a stale fix with its real time, drops one older than MAX_FIX_AGE_MS, clamps a future one', () => {
    const stale = new Date(NOW - MAX_FIX_AGE_MS + 60_000).toISOString();
    const ghost = new Date(NOW - MAX_FIX_AGE_MS - 1).toISOString();
    const future = new Date(NOW + 120_000).toISOString();
    const r = decodeVehicleMonitoring(
      enc(delivery([{ VehicleActivity: [activity({ VehicleRef: 'a' }, stale), activity({ VehicleRef: 'b' }, ghost), activity({ VehicleRef: 'c' }, future), activity({ VehicleRef: 'd' }, 'not a time')] }])),
      0,
    );
    expect(Object.fromEntries(r.vehicles.map((v) => [v.id, v.updatedAt]))).toEqual({ a: NOW - MAX_FIX_AGE_MS + 60_000, c: NOW, d: NOW });
    expect(r.skipped).toBe(1);
  });

  it('skips activities without id or usable position and keeps the freshest of a repeated vehicle', () => {
    const r = decodeVehicleMonitoring(
      enc(
        delivery([
          {
            VehicleActivity: [
              activity({ VehicleRef: '' }),
              activity({ VehicleLocation: { Longitude: '0', Latitude: '0' } }),
              activity({ VehicleLocation: null }),
              { RecordedAtTime: 'x' },
              activity({}, '2026-12-02T19:58:00Z'),
              activity({ LineRef: '14R' }, '2026-12-02T19:59:50Z'),
            ],
          },
        ]),
      ),
      0,
    );
    expect(r.vehicles.map((v) => [v.id, v.routeId])).toEqual([['5812', '14R']]);
    expect(r.skipped).toBe(5);
  });

  it('reads an empty delivery as zero vehicles (a quiet night), with or without the BOM', () => {
    for (const vmd of [[{ version: '1.4', Status: true }], { version: '1.4' }, [], undefined]) {
      const r = decodeVehicleMonitoring(enc(delivery(vmd), false), NOW);
      expect(r.vehicles).toEqual([]);
    }
  });

  it('rejects zero bytes and a bare BOM as empty, other bodies that are not SIRI as malformed', () => {
    const failure = (bytes: Uint8Array) => {
      try {
        decodeVehicleMonitoring(bytes, NOW);
      } catch (e) {
        return e instanceof FeedError ? e.failure : 'not a FeedError';
      }
      return 'no error';
    };
    expect(failure(new Uint8Array(0))).toBe('empty');
    expect(failure(enc(''))).toBe('empty');
    expect(failure(enc('<html>502 Bad Gateway</html>'))).toBe('malformed');
    expect(failure(enc({ Siri: {} }))).toBe('malformed');
    expect(failure(enc('[1,2]'))).toBe('malformed');
  });
});

import GtfsRealtimeBindings, { type transit_realtime as rt } from 'gtfs-realtime-bindings';
import type { Vehicle } from '../../domain/vehicle.js';

// The bindings are a CommonJS module; under nodenext ESM only its default export
// (module.exports) is reliably importable, so destructure the namespace from it.
const { transit_realtime } = GtfsRealtimeBindings;

/**
 * Encodes vehicles as a GTFS-Realtime `FeedMessage` (FULL_DATASET, one entity per
 * vehicle). Timestamps are whole seconds on the wire, so sub-second precision is lost.
 * Used by tests and the fake upstream; the service itself only decodes.
 */
export function encodeVehiclePositions(vehicles: Vehicle[], timestampMs: number): Uint8Array {
  const message = transit_realtime.FeedMessage.create({
    header: {
      gtfsRealtimeVersion: '2.0',
      incrementality: transit_realtime.FeedHeader.Incrementality.FULL_DATASET,
      timestamp: Math.floor(timestampMs / 1000),
    },
    entity: vehicles.map(toEntity),
  });
  return transit_realtime.FeedMessage.encode(message).finish();
}

function toEntity(vehicle: Vehicle): rt.IFeedEntity {
  return {
    id: vehicle.id,
    vehicle: {
      vehicle: { id: vehicle.id, ...(vehicle.label ? { label: vehicle.label } : {}) },
      // An empty trip would claim "some trip" where the feed knows none: leave it out.
      trip: vehicle.routeId ? { routeId: vehicle.routeId } : null,
      position: {
        latitude: vehicle.lat,
        longitude: vehicle.lon,
        ...(vehicle.bearing === null ? {} : { bearing: vehicle.bearing }),
      },
      timestamp: Math.floor(vehicle.updatedAt / 1000),
    },
  };
}

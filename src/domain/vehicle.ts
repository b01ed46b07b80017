/** One vehicle position as served to clients. Coordinates are WGS84 degrees. */
export interface Vehicle {
  /** Stable vehicle id from the feed (GTFS-RT `vehicle.id`, or the entity id). */
  id: string;
  /** GTFS route id, e.g. `"N"` or `"38R"`; `""` when the feed does not say. */
  routeId: string;
  lat: number;
  lon: number;
  /** Degrees clockwise from true north, 0–359; `null` when unknown. */
  bearing: number | null;
  /** When the feed says this position was measured, ms since the epoch. */
  updatedAt: number;
  /** What riders read on the vehicle (fleet number: SIRI `VehicleRef`, GTFS-RT `vehicle.label`); absent when the feed does not say. */
  label?: string;
  /** Where the trip is going (SIRI `DestinationName`); absent when the feed does not say (GTFS-RT VehiclePositions never does). */
  headsign?: string;
  /** Direction of the trip as the feed names it (SIRI `DirectionRef`, e.g. `IB`/`OB`); absent when unknown. */
  direction?: string;
  /** How full the vehicle is (SIRI `Occupancy`: `seatsAvailable`, `standingAvailable`, `full`); absent when unknown. */
  occupancy?: string;
}

/** A full picture of every vehicle at one moment, with a monotonically rising version. */
export interface Snapshot {
  version: number;
  /** When the snapshot was built from a successful poll, ms since the epoch. */
  generatedAt: number;
  vehicles: Vehicle[];
}

/** The change between two consecutive snapshots. */
export interface Delta {
  fromVersion: number;
  version: number;
  generatedAt: number;
  upserts: Vehicle[];
  /** Ids of vehicles that disappeared. */
  removals: string[];
}

import type { Vehicle } from '../../domain/vehicle.js';
import type { VehiclePlan } from './fleet-plan.js';
import { hashUnit } from './prng.js';
import { pointAtDistance } from './routes.js';

/** Length of one in/out-of-service window; a vehicle's status can only flip at its window edges. */
export const DROPOUT_WINDOW_MS = 120_000;

/** Where a vehicle is and which way it faces, before it is turned into a {@link Vehicle}. */
export interface Placement {
  lat: number;
  lon: number;
  /** Integer degrees 0–359, the direction of travel. */
  bearing: number;
  direction: 'outbound' | 'inbound';
}

/**
 * Places a vehicle at `timeMs` on its route. It runs at constant speed round an
 * out-and-back loop, so it turns around at both terminals and after Δt has moved
 * exactly speed × Δt along the route.
 */
export function placeVehicle(plan: VehiclePlan, timeMs: number): Placement {
  const { route } = plan;
  const loop = 2 * route.length;
  // Seconds since the epoch × speed is ~10^10 m: still exact to well under a millimetre in
  // a double, and using absolute time keeps the position a pure function of the clock.
  const travelled = plan.loopOffsetM + (plan.speedMps * timeMs) / 1000;
  const onLoop = ((travelled % loop) + loop) % loop;
  const outbound = onLoop < route.length;
  const point = pointAtDistance(route, outbound ? onLoop : loop - onLoop);
  const heading = outbound ? point.bearing : point.bearing + 180;
  return {
    lat: round6(point.lat),
    lon: round6(point.lon),
    bearing: Math.round(heading) % 360,
    direction: outbound ? 'outbound' : 'inbound',
  };
}

/**
 * Whether the vehicle is out of service at `timeMs` (pulled in, GPS silent…). Decided
 * per time window by a hash of (seed, vehicle, window), so it needs no state and two
 * simulators with the same seed agree.
 */
export function isOutOfService(seed: number, plan: VehiclePlan, timeMs: number, rate: number): boolean {
  if (rate <= 0) return false;
  const window = Math.floor((timeMs + plan.dropoutPhaseMs) / DROPOUT_WINDOW_MS);
  return hashUnit(seed, plan.index, window, 0xd50) < rate;
}

/** The vehicle as the feed reports it at `timeMs`, or `null` while it is out of service. */
export function vehicleAt(seed: number, plan: VehiclePlan, timeMs: number, dropoutRate: number): Vehicle | null {
  if (isOutOfService(seed, plan, timeMs, dropoutRate)) return null;
  const { lat, lon, bearing } = placeVehicle(plan, timeMs);
  return { id: plan.id, routeId: plan.route.id, lat, lon, bearing, updatedAt: timeMs };
}

// Six decimals is ~11 cm: finer than any GPS fix, and it keeps JSON payloads short.
function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

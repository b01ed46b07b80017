import { hash32, mulberry32 } from './prng.js';
import { ROUTES, toRoutePath, type RoutePath } from './routes.js';

/** Slowest and fastest simulated vehicle, m/s (≈ 14–43 km/h: buses in traffic to trains in the subway). */
export const MIN_SPEED_MPS = 4;
export const MAX_SPEED_MPS = 12;

/** Everything needed to place one simulated vehicle at any time; fixed for its lifetime. */
export interface VehiclePlan {
  /** 0-based position in the fleet; part of the dropout hash. */
  index: number;
  id: string;
  route: RoutePath;
  speedMps: number;
  /**
   * Where the vehicle was at t = 0 on the route's out-and-back loop, metres in
   * [0, 2 × length): below `length` it was outbound, above it inbound.
   */
  loopOffsetM: number;
  /** Shifts this vehicle's dropout windows so the fleet does not flicker in unison. */
  dropoutPhaseMs: number;
}

/** Route paths are derived once per process: the shapes never change. */
const PATHS: readonly RoutePath[] = ROUTES.map(toRoutePath);

/** Vehicle id as the simulator publishes it, e.g. `sim-0007`. */
export function simulatedVehicleId(index: number): string {
  return `sim-${String(index + 1).padStart(4, '0')}`;
}

/**
 * Plans a fleet of `count` vehicles from `seed`. Each vehicle's plan depends only on
 * (seed, index), so growing the fleet never reshuffles the vehicles already in it.
 */
export function planFleet(seed: number, count: number): VehiclePlan[] {
  // A seed-dependent rotation for the first vehicles: every route is served as soon
  // as the fleet has at least one vehicle per route, yet which vehicle runs where
  // still changes with the seed.
  const rotation = hash32(seed, 0x5eed) % PATHS.length;
  const plans: VehiclePlan[] = [];
  for (let index = 0; index < count; index++) {
    plans.push(planVehicle(seed, index, rotation));
  }
  return plans;
}

/** One vehicle's plan, drawn from a PRNG seeded by (seed, index) alone. */
function planVehicle(seed: number, index: number, rotation: number): VehiclePlan {
  const rand = mulberry32(hash32(seed, index));
  const pick = rand();
  const routeIndex = index < PATHS.length ? (index + rotation) % PATHS.length : Math.floor(pick * PATHS.length);
  const route = PATHS[routeIndex]!;
  const speedMps = MIN_SPEED_MPS + rand() * (MAX_SPEED_MPS - MIN_SPEED_MPS);
  const outbound = rand() < 0.5;
  const along = rand() * route.length;
  return {
    index,
    id: simulatedVehicleId(index),
    route,
    speedMps,
    loopOffsetM: outbound ? along : route.length + along,
    dropoutPhaseMs: Math.floor(rand() * 3_600_000),
  };
}

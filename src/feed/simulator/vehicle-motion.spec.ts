import { describe, it, expect } from 'vitest';
import { planFleet, type VehiclePlan } from './fleet-plan.js';
import { ROUTES, distanceMeters, toRoutePath } from './routes.js';
import { DROPOUT_WINDOW_MS, isOutOfService, placeVehicle } from './vehicle-motion.js';

const route = toRoutePath(ROUTES.find((r) => r.id === '38')!);

function plan(loopOffsetM: number, speedMps = 10): VehiclePlan {
  return { index: 0, id: 'sim-0001', route, speedMps, loopOffsetM, dropoutPhaseMs: 0 };
}

describe('placeVehicle', () => {
  it('starts outbound at the first terminal and travels speed × Δt along the route', () => {
    const p = plan(0);
    const start = placeVehicle(p, 0);
    expect(start).toMatchObject({ lat: route.points[0]!.lat, lon: route.points[0]!.lon, direction: 'outbound' });
    // The 38 starts heading south-west from Market & Sutter.
    expect(start.bearing).toBeGreaterThan(180);
    expect(start.bearing).toBeLessThan(270);
    const later = placeVehicle(p, 10_000);
    expect(distanceMeters(start, later)).toBeCloseTo(100, 0);
  });

  it('turns around at the far terminal: same spot, opposite direction, bearing flipped', () => {
    const p = plan(route.length - 50);
    const inbound = placeVehicle(p, 10_000); // 100 m later: 50 m to the end and 50 m back
    const outbound = placeVehicle(p, 0);
    expect(outbound.direction).toBe('outbound');
    expect(inbound.direction).toBe('inbound');
    expect(distanceMeters(outbound, inbound)).toBeLessThan(0.5);
    expect(Math.abs(((inbound.bearing - outbound.bearing + 360) % 360) - 180)).toBeLessThanOrEqual(1);
  });

  it('comes back to the same place after one full out-and-back loop', () => {
    const p = plan(1234, 8);
    const loopMs = ((2 * route.length) / 8) * 1000;
    const a = placeVehicle(p, 1_000_000);
    const b = placeVehicle(p, 1_000_000 + loopMs);
    expect(distanceMeters(a, b)).toBeLessThan(0.5);
    expect(b.direction).toBe(a.direction);
  });
});

describe('isOutOfService', () => {
  it('only changes state at window edges and is off entirely at rate 0', () => {
    const [p] = planFleet(4, 1);
    const windowStart = Math.ceil(1e12 / DROPOUT_WINDOW_MS) * DROPOUT_WINDOW_MS - p!.dropoutPhaseMs;
    const first = isOutOfService(4, p!, windowStart, 0.5);
    expect(isOutOfService(4, p!, windowStart + DROPOUT_WINDOW_MS - 1, 0.5)).toBe(first);
    expect(isOutOfService(4, p!, windowStart, 0)).toBe(false);
    expect(isOutOfService(4, p!, windowStart, 1)).toBe(true);
  });

  it('takes out roughly the requested share of a fleet', () => {
    const fleet = planFleet(4, 2000);
    const out = fleet.filter((p) => isOutOfService(4, p, 1e12, 0.1)).length;
    expect(out).toBeGreaterThan(140);
    expect(out).toBeLessThan(260);
  });
});

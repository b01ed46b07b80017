import { describe, it, expect } from 'vitest';
import type { Vehicle } from '../../domain/vehicle.js';
import { FeedError } from '../feed.js';
import { MAX_SPEED_MPS } from './fleet-plan.js';
import { ROUTES, bearingBetween, distanceMeters } from './routes.js';
import { SimulatorFeed } from './simulator.feed.js';

const T0 = Date.UTC(2025, 5, 2, 16, 0, 0);
const SF = { minLat: 37.7, maxLat: 37.84, minLon: -122.52, maxLon: -122.35 };

/** A clock the test moves by hand. */
function manualClock(start = T0) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

const byId = (vehicles: Vehicle[]) => new Map(vehicles.map((v) => [v.id, v]));
const angleDiff = (a: number, b: number) => Math.abs(((a - b + 540) % 360) - 180);

describe('SimulatorFeed determinism', () => {
  it('gives identical vehicles for the same seed and clock', async () => {
    const a = new SimulatorFeed({ seed: 7, vehicles: 300, now: () => T0 });
    const b = new SimulatorFeed({ seed: 7, vehicles: 300, now: () => T0 });
    const [ra, rb] = [await a.fetch(), await b.fetch()];
    expect(ra.vehicles.length).toBeGreaterThan(250);
    expect(rb).toEqual(ra);
  });

  it('gives a different fleet for a different seed', async () => {
    const a = byId((await new SimulatorFeed({ seed: 7, vehicles: 300, now: () => T0 }).fetch()).vehicles);
    const b = byId((await new SimulatorFeed({ seed: 8, vehicles: 300, now: () => T0 }).fetch()).vehicles);
    let differing = 0;
    for (const [id, v] of a) {
      const w = b.get(id);
      if (!w || w.lat !== v.lat || w.lon !== v.lon || w.routeId !== v.routeId) differing++;
    }
    expect(differing).toBeGreaterThan(a.size * 0.9);
  });

  it('places each vehicle from (seed, index, time) alone: a bigger fleet keeps the first vehicles as they were', async () => {
    const small = await new SimulatorFeed({ seed: 3, vehicles: 20, now: () => T0 }).fetch();
    const big = byId((await new SimulatorFeed({ seed: 3, vehicles: 300, now: () => T0 }).fetch()).vehicles);
    expect(small.vehicles.length).toBeGreaterThan(15);
    for (const v of small.vehicles) expect(big.get(v.id)).toEqual(v);
  });
});

describe('SimulatorFeed fleet', () => {
  it('serves all 12 routes with 300 uniquely numbered vehicles inside San Francisco', async () => {
    const feed = new SimulatorFeed({ seed: 1, vehicles: 300, now: () => T0, dropoutRate: 0 });
    const { vehicles, fetchedAt } = await feed.fetch();
    expect(vehicles).toHaveLength(300);
    expect(fetchedAt).toBe(T0);
    expect(new Set(vehicles.map((v) => v.id)).size).toBe(300);
    expect(vehicles[0]!.id).toBe('sim-0001');
    expect(vehicles[299]!.id).toBe('sim-0300');
    expect(new Set(vehicles.map((v) => v.routeId))).toEqual(new Set(ROUTES.map((r) => r.id)));
    for (const v of vehicles) {
      expect(v.lat > SF.minLat && v.lat < SF.maxLat && v.lon > SF.minLon && v.lon < SF.maxLon, v.id).toBe(true);
      expect(Number.isInteger(v.bearing) && v.bearing! >= 0 && v.bearing! <= 359, `${v.id} bearing ${v.bearing}`).toBe(true);
      expect(v.updatedAt).toBe(T0);
    }
  });

  it('serves every route even with a fleet of exactly 12, whatever the seed', async () => {
    for (const seed of [0, 1, 2, 99, 2 ** 31 - 1]) {
      const { vehicles } = await new SimulatorFeed({ seed, vehicles: 12, now: () => T0, dropoutRate: 0 }).fetch();
      expect(new Set(vehicles.map((v) => v.routeId)).size, `seed ${seed}`).toBe(12);
    }
  });

  it('counts one upstream call per fetch', async () => {
    const feed = new SimulatorFeed({ seed: 1, vehicles: 5 });
    expect(feed.calls).toBe(0);
    await feed.fetch();
    await feed.fetch();
    expect(feed.calls).toBe(2);
    expect(feed.kind).toBe('simulator');
  });

  it('rejects an already aborted fetch with a FeedError', async () => {
    const feed = new SimulatorFeed({ seed: 1, vehicles: 5 });
    const err = await feed.fetch(AbortSignal.abort(new Error('shutting down'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FeedError);
    expect((err as FeedError).failure).toBe('network');
    expect((err as FeedError).message).toContain('shutting down');
  });

  it('refuses nonsense options', () => {
    expect(() => new SimulatorFeed({ seed: 1, vehicles: -1 })).toThrow(/vehicles/);
    expect(() => new SimulatorFeed({ seed: 1, vehicles: 1.5 })).toThrow(/vehicles/);
    expect(() => new SimulatorFeed({ seed: 1, vehicles: 1, dropoutRate: 2 })).toThrow(/dropoutRate/);
  });
});

describe('SimulatorFeed movement', () => {
  it('moves every vehicle plausibly in 10 s, heading the way it reports', async () => {
    const clock = manualClock();
    const feed = new SimulatorFeed({ seed: 11, vehicles: 300, now: clock.now, dropoutRate: 0 });
    const before = byId((await feed.fetch()).vehicles);
    clock.advance(10_000);
    const after = (await feed.fetch()).vehicles;

    let moved = 0;
    let aligned = 0;
    let longMoves = 0;
    for (const v of after) {
      const p = before.get(v.id)!;
      const d = distanceMeters(p, v);
      // Straight-line distance can only be shorter than the distance along the route.
      expect(d, v.id).toBeLessThanOrEqual(MAX_SPEED_MPS * 10 + 1);
      if (d > 0.5) moved++;
      if (d > 30) {
        longMoves++;
        if (angleDiff(bearingBetween(p, v), v.bearing!) < 20) aligned++;
      }
      expect(v.updatedAt).toBe(T0 + 10_000);
    }
    expect(moved).toBeGreaterThan(after.length * 0.97);
    // Corners and terminal turnarounds bend some paths; the rest point where they go.
    expect(aligned).toBeGreaterThan(longMoves * 0.9);
  });

  it('moves at least the slowest speed on average (4 m/s × 10 s, allowing for corners)', async () => {
    const clock = manualClock();
    const feed = new SimulatorFeed({ seed: 5, vehicles: 200, now: clock.now, dropoutRate: 0 });
    const before = byId((await feed.fetch()).vehicles);
    clock.advance(10_000);
    const moves = (await feed.fetch()).vehicles.map((v) => distanceMeters(before.get(v.id)!, v));
    const mean = moves.reduce((s, d) => s + d, 0) / moves.length;
    // Speeds are uniform in 4–12 m/s: ~80 m mean, a little less as the crow flies.
    expect(mean).toBeGreaterThan(60);
    expect(mean).toBeLessThan(90);
  });

  it('drops a few vehicles out of service and brings them back over time', async () => {
    const clock = manualClock();
    const feed = new SimulatorFeed({ seed: 9, vehicles: 300, now: clock.now });
    let previous = new Set((await feed.fetch()).vehicles.map((v) => v.id));
    let removals = 0;
    let returns = 0;
    for (let i = 0; i < 40; i++) {
      clock.advance(15_000);
      const current = new Set((await feed.fetch()).vehicles.map((v) => v.id));
      expect(current.size).toBeGreaterThan(300 * 0.9);
      for (const id of previous) if (!current.has(id)) removals++;
      for (const id of current) if (!previous.has(id)) returns++;
      previous = current;
    }
    // 3% out at any time, windows of 2 min: ~45 flips each way in 10 minutes.
    expect(removals).toBeGreaterThan(20);
    expect(returns).toBeGreaterThan(20);
  });

  it('keeps every vehicle when dropoutRate is 0', async () => {
    const clock = manualClock();
    const feed = new SimulatorFeed({ seed: 9, vehicles: 300, now: clock.now, dropoutRate: 0 });
    for (let i = 0; i < 10; i++) {
      expect((await feed.fetch()).vehicles).toHaveLength(300);
      clock.advance(60_000);
    }
  });
});

import { describe, it, expect } from 'vitest';
import {
  ROUTES,
  bearingBetween,
  distanceMeters,
  pointAtDistance,
  polylineLength,
  toRoutePath,
  type RouteShape,
} from './routes.js';

const SF = { minLat: 37.7, maxLat: 37.84, minLon: -122.52, maxLon: -122.35 };

describe('ROUTES', () => {
  it('has the twelve Muni-like routes', () => {
    expect(ROUTES.map((r) => r.id)).toEqual(['N', 'J', 'KT', 'L', 'M', '1', '5', '14', '22', '38', '38R', '49']);
  });

  it('keeps every waypoint inside San Francisco', () => {
    for (const route of ROUTES) {
      for (const p of route.waypoints) {
        expect(p.lat, `${route.id} lat`).toBeGreaterThan(SF.minLat);
        expect(p.lat, `${route.id} lat`).toBeLessThan(SF.maxLat);
        expect(p.lon, `${route.id} lon`).toBeGreaterThan(SF.minLon);
        expect(p.lon, `${route.id} lon`).toBeLessThan(SF.maxLon);
      }
    }
  });

  it('has plausible shapes: 6–20 waypoints, 5–25 km long, no cross-town jumps from a typo', () => {
    for (const route of ROUTES) {
      expect(route.waypoints.length, route.id).toBeGreaterThanOrEqual(6);
      expect(route.waypoints.length, route.id).toBeLessThanOrEqual(20);
      const length = polylineLength(route.waypoints);
      expect(length, route.id).toBeGreaterThan(5_000);
      expect(length, route.id).toBeLessThan(25_000);
      for (let i = 1; i < route.waypoints.length; i++) {
        // The longest real straight run is the Twin Peaks tunnel, ~2.6 km.
        expect(distanceMeters(route.waypoints[i - 1]!, route.waypoints[i]!), `${route.id} segment ${i}`).toBeLessThan(3_000);
      }
    }
  });

  it('runs the N from Ocean Beach (west) to Caltrain (east) and the 14 up Mission St (north-east)', () => {
    const n = ROUTES.find((r) => r.id === 'N')!.waypoints;
    expect(n[0]!.lon).toBeLessThan(-122.5);
    expect(n.at(-1)!.lon).toBeGreaterThan(-122.4);
    const m14 = ROUTES.find((r) => r.id === '14')!.waypoints;
    expect(m14.at(-1)!.lat - m14[0]!.lat).toBeGreaterThan(0.08);
  });
});

describe('geo helpers', () => {
  it('measures distances: 0.01° of latitude is ~1112 m', () => {
    expect(distanceMeters({ lat: 37.7, lon: -122.4 }, { lat: 37.71, lon: -122.4 })).toBeCloseTo(1112, -1);
    // A degree of longitude shrinks by cos(latitude): ~880 m per 0.01° in SF.
    expect(distanceMeters({ lat: 37.7, lon: -122.4 }, { lat: 37.7, lon: -122.39 })).toBeCloseTo(880, -1);
    expect(distanceMeters({ lat: 37.7, lon: -122.4 }, { lat: 37.7, lon: -122.4 })).toBe(0);
  });

  it('computes compass bearings', () => {
    const o = { lat: 37.75, lon: -122.45 };
    expect(bearingBetween(o, { lat: 37.76, lon: -122.45 })).toBeCloseTo(0, 5);
    expect(bearingBetween(o, { lat: 37.75, lon: -122.44 })).toBeCloseTo(90, 1);
    expect(bearingBetween(o, { lat: 37.74, lon: -122.45 })).toBeCloseTo(180, 5);
    expect(bearingBetween(o, { lat: 37.75, lon: -122.46 })).toBeCloseTo(270, 1);
  });

  it('finds the point at a distance along a path, clamped to its ends', () => {
    const shape: RouteShape = {
      id: 'T',
      name: 'test',
      waypoints: [
        { lat: 37.75, lon: -122.45 },
        { lat: 37.76, lon: -122.45 },
        { lat: 37.76, lon: -122.44 },
      ],
    };
    const path = toRoutePath(shape);
    const first = distanceMeters(shape.waypoints[0]!, shape.waypoints[1]!);
    expect(path.length).toBeCloseTo(polylineLength(shape.waypoints), 6);

    const mid = pointAtDistance(path, first / 2);
    expect(mid.lat).toBeCloseTo(37.755, 6);
    expect(mid.lon).toBeCloseTo(-122.45, 6);
    expect(mid.bearing).toBeCloseTo(0, 3);

    const onSecond = pointAtDistance(path, first + 10);
    expect(onSecond.bearing).toBeCloseTo(90, 0);
    expect(distanceMeters(shape.waypoints[1]!, onSecond)).toBeCloseTo(10, 1);

    expect(pointAtDistance(path, -50)).toMatchObject({ lat: 37.75, lon: -122.45 });
    expect(pointAtDistance(path, path.length + 50)).toMatchObject({ lat: 37.76, lon: -122.44 });
  });
});

import { describe, expect, it } from 'vitest';
import type { Vehicle } from '../domain/vehicle.js';
import { freshestById } from './freshest.js';

const fix = (id: string, updatedAt: number): Vehicle => ({ id, routeId: 'N', lat: 37.7, lon: -122.4, bearing: null, updatedAt });

describe('freshestById', () => {
  it('keeps one vehicle per id, the freshest fix, and counts nulls and repeats as skipped', () => {
    const { vehicles, skipped } = freshestById([fix('a', 10), null, fix('b', 5), fix('a', 30), fix('a', 20), null]);
    expect(vehicles).toEqual([fix('a', 30), fix('b', 5)]);
    expect(skipped).toBe(4);
  });

  it('of two fixes at the same moment the first one stays', () => {
    const first = { ...fix('a', 10), routeId: 'first' };
    expect(freshestById([first, { ...fix('a', 10), routeId: 'second' }]).vehicles).toEqual([first]);
  });

  it('nothing in, nothing out', () => {
    expect(freshestById([])).toEqual({ vehicles: [], skipped: 0 });
  });
});

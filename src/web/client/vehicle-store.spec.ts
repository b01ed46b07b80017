import { describe, expect, it } from 'vitest';
import type { Delta, Vehicle } from '../../protocol/wire.js';
import { applyDeltaToMap, checkDelta, VehicleStore } from './vehicle-store.js';

const v = (id: string, routeId = 'N', lat = 37.77, lon = -122.42): Vehicle => ({
  id,
  routeId,
  lat,
  lon,
  bearing: 90,
  updatedAt: 1,
});
const delta = (fromVersion: number, version: number, upserts: Vehicle[] = [], removals: string[] = []): Delta => ({
  fromVersion,
  version,
  generatedAt: 1000 * version,
  upserts,
  removals,
});

describe('checkDelta', () => {
  it('applies exactly the next delta', () => {
    expect(checkDelta(5, { fromVersion: 5, version: 6 })).toBe('apply');
    expect(checkDelta(5, { fromVersion: 5, version: 9 })).toBe('apply');
  });
  it('treats duplicates and late deltas as stale', () => {
    expect(checkDelta(6, { fromVersion: 5, version: 6 })).toBe('stale');
    expect(checkDelta(9, { fromVersion: 3, version: 4 })).toBe('stale');
  });
  it('detects gaps, including before any snapshot', () => {
    expect(checkDelta(5, { fromVersion: 6, version: 7 })).toBe('gap');
    expect(checkDelta(5, { fromVersion: 4, version: 7 })).toBe('gap');
    expect(checkDelta(null, { fromVersion: 0, version: 1 })).toBe('gap');
  });
});

describe('applyDeltaToMap', () => {
  it('upserts and removes in place', () => {
    const map = new Map([
      ['a', v('a')],
      ['b', v('b')],
    ]);
    applyDeltaToMap(map, { upserts: [v('a', 'N', 1, 2), v('c', '38')], removals: ['b', 'unknown'] });
    expect([...map.keys()].sort()).toEqual(['a', 'c']);
    expect(map.get('a')).toMatchObject({ lat: 1, lon: 2 });
  });
  it('lets a vehicle removed and re-added in one delta survive', () => {
    const map = new Map([['a', v('a')]]);
    applyDeltaToMap(map, { upserts: [v('a', 'N', 5, 5)], removals: ['a'] });
    expect(map.get('a')).toMatchObject({ lat: 5 });
  });
});

describe('VehicleStore', () => {
  it('replaces everything on a snapshot, whatever its version', () => {
    const store = new VehicleStore();
    expect(store.version).toBeNull();
    expect(store.generatedAt).toBeNull();
    store.replace({ version: 10, generatedAt: 500, vehicles: [v('a'), v('b')] });
    expect(store.size).toBe(2);
    store.replace({ version: 10, generatedAt: 500, vehicles: [v('b', '38')] }); // narrowed subscription
    expect([...store.values()].map((x) => x.id)).toEqual(['b']);
    expect(store.version).toBe(10);
  });

  it('applies consecutive deltas and tracks version and generatedAt', () => {
    const store = new VehicleStore();
    store.replace({ version: 1, generatedAt: 100, vehicles: [v('a'), v('b')] });
    expect(store.applyDelta(delta(1, 2, [v('c')], ['a']))).toEqual({ kind: 'applied' });
    expect(store.applyDelta(delta(2, 3, [v('b', 'N', 0, 0)]))).toEqual({ kind: 'applied' });
    expect(store.version).toBe(3);
    expect(store.generatedAt).toBe(3000);
    expect(store.get('b')).toMatchObject({ lat: 0, lon: 0 });
    expect([...store.values()].map((x) => x.id).sort()).toEqual(['b', 'c']);
  });

  it('reports a gap and changes nothing', () => {
    const store = new VehicleStore();
    store.replace({ version: 1, generatedAt: 100, vehicles: [v('a')] });
    expect(store.applyDelta(delta(2, 3, [v('z')], ['a']))).toEqual({ kind: 'gap', heldVersion: 1, fromVersion: 2, version: 3 });
    expect(store.version).toBe(1);
    expect([...store.values()].map((x) => x.id)).toEqual(['a']);
  });

  it('ignores a stale delta', () => {
    const store = new VehicleStore();
    store.replace({ version: 4, generatedAt: 100, vehicles: [v('a')] });
    expect(store.applyDelta(delta(3, 4, [], ['a']))).toEqual({ kind: 'stale' });
    expect(store.size).toBe(1);
  });

  it('needs a snapshot before any delta', () => {
    const store = new VehicleStore();
    expect(store.applyDelta(delta(0, 1, [v('a')])).kind).toBe('gap');
    expect(store.size).toBe(0);
  });
});

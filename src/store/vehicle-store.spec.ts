import { describe, expect, it } from 'vitest';
import type { Vehicle } from '../domain/vehicle.js';
import { filterDelta, filterSnapshot, routeSetKey } from './route-filter.js';
import { diffVehicles, indexById } from './snapshot-diff.js';
import { VehicleStore } from './vehicle-store.js';

const v = (id: string, routeId: string, lat = 37.7, lon = -122.4, updatedAt = 1): Vehicle => ({
  id,
  routeId,
  lat,
  lon,
  bearing: 90,
  updatedAt,
});

describe('diffVehicles', () => {
  it('reports new, moved and vanished vehicles and nothing else', () => {
    const prev = indexById([v('a', 'N'), v('b', 'N'), v('c', '38')]);
    const next = [v('a', 'N'), v('b', 'N', 37.71), v('d', '14')];
    const d = diffVehicles(prev, next);
    expect(d.upserts.map((x) => x.id).sort()).toEqual(['b', 'd']);
    expect(d.removals).toEqual(['c']);
  });

  it('counts a changed headsign, label, direction or occupancy as a change (the map shows them)', () => {
    const base = { id: 'a', routeId: 'N', lat: 1, lon: 2, bearing: null, updatedAt: 3, label: '1401', headsign: 'Ocean Beach', direction: 'OB', occupancy: 'full' };
    const prev = new Map([['a', base]]);
    for (const change of [{ headsign: 'Caltrain' }, { label: '1402' }, { direction: 'IB' }, { occupancy: undefined }]) {
      expect(diffVehicles(prev, [{ ...base, ...change }]).upserts).toHaveLength(1);
    }
    expect(diffVehicles(prev, [{ ...base }]).upserts).toHaveLength(0);
  });

  it('treats a duplicate id as the newest report of that vehicle', () => {
    const d = diffVehicles(new Map(), [v('a', 'N', 1), v('a', 'N', 2)]);
    expect(d.upserts).toHaveLength(1);
    expect(d.upserts[0]!.lat).toBe(2);
  });
});

describe('VehicleStore', () => {
  it('versions only changes and links each delta to the previous version', () => {
    const store = new VehicleStore();
    const first = store.apply([v('a', 'N')], 1000);
    expect(first?.snapshot.version).toBe(1);
    expect(first?.delta).toBeUndefined();
    expect(store.apply([v('a', 'N')], 2000)).toBeNull();
    expect(store.snapshot?.generatedAt).toBe(2000);
    expect(store.snapshot?.version).toBe(1);
    const third = store.apply([v('a', 'N', 37.8), v('b', '38')], 3000);
    expect(third?.delta).toMatchObject({ fromVersion: 1, version: 2, removals: [] });
    expect(third?.delta?.upserts.map((x) => x.id).sort()).toEqual(['a', 'b']);
    const fourth = store.apply([v('b', '38')], 4000);
    expect(fourth?.delta).toMatchObject({ fromVersion: 2, version: 3, upserts: [], removals: ['a'] });
  });
});

describe('route filters', () => {
  const snap = { version: 2, generatedAt: 5, vehicles: [v('a', 'N'), v('b', '38'), v('c', '14')] };

  it('keeps only subscribed routes; null means all', () => {
    expect(filterSnapshot(snap, new Set(['N', '14'])).vehicles.map((x) => x.id)).toEqual(['a', 'c']);
    expect(filterSnapshot(snap, null)).toBe(snap);
    expect(routeSetKey(new Set(['38', 'N']))).toBe(routeSetKey(new Set(['N', '38'])));
  });

  it('turns a vehicle leaving a subscribed route into a removal for that client', () => {
    const previous = indexById(snap.vehicles);
    const delta = {
      fromVersion: 2,
      version: 3,
      generatedAt: 6,
      upserts: [v('a', '38'), v('b', '38', 37.9)],
      removals: ['c'],
    };
    const forN = filterDelta(delta, new Set(['N']), previous);
    expect(forN.upserts).toEqual([]);
    expect(forN.removals).toEqual(['a']);
    const for38 = filterDelta(delta, new Set(['38']), previous);
    expect(for38.upserts.map((x) => x.id)).toEqual(['a', 'b']);
    expect(for38.removals).toEqual([]);
    expect(filterDelta(delta, new Set(['14']), previous).removals).toEqual(['c']);
  });
});

describe('agency filters (several agencies: ids are <agency>:<id>)', () => {
  const snap = { version: 4, generatedAt: 5, vehicles: [v('SF:1', 'N'), v('SF:2', '38'), v('AC:1', 'N'), v('ACE:9', 'N')] };

  it('a client watching AC gets only AC vehicles, also with a route filter; null filters nothing', () => {
    expect(filterSnapshot(snap, null, 'AC').vehicles.map((x) => x.id)).toEqual(['AC:1']);
    expect(filterSnapshot(snap, new Set(['N']), 'SF').vehicles.map((x) => x.id)).toEqual(['SF:1']);
    expect(filterSnapshot(snap, null, null)).toBe(snap);
    expect(routeSetKey(null, 'AC')).not.toBe(routeSetKey(null, 'SF'));
    expect(routeSetKey(null, null)).toBe('*');
  });

  it('deltas carry only the agency watched: upserts and removals of other agencies are left out', () => {
    const previous = indexById(snap.vehicles);
    const delta = { fromVersion: 4, version: 5, generatedAt: 6, upserts: [v('SF:1', 'N', 37.8), v('AC:1', '38')], removals: ['SF:2', 'ACE:9'] };
    expect(filterDelta(delta, null, previous, 'SF')).toMatchObject({ upserts: [{ id: 'SF:1' }], removals: ['SF:2'] });
    expect(filterDelta(delta, null, previous, 'ACE')).toMatchObject({ upserts: [], removals: ['ACE:9'] });
    const acOnN = filterDelta(delta, new Set(['N']), previous, 'AC');
    expect(acOnN).toMatchObject({ upserts: [], removals: ['AC:1'] });
  });
});

import { describe, expect, it } from 'vitest';
import { dataAgeMs, formatDuration, formatUpdatedAgo, formatVehicleCount } from './format.js';
import { newClientId } from './ids.js';
import { collectRoutes, compareRoutes, routeHue, routeLabel, routeSelected, sortedRoutes } from './routes.js';
import { TileHealth } from './tiles.js';
import { DEFAULT_CONFIG, parseConfig } from '../../protocol/client-config.js';
import { isDelta, isSnapshot } from '../../protocol/guards.js';

describe('format', () => {
  it('formats durations', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(12_000)).toBe('12 s');
    expect(formatDuration(30_000)).toBe('30 s');
    expect(formatDuration(1_500)).toBe('1.5 s');
    expect(formatDuration(119_000)).toBe('119 s');
    expect(formatDuration(185_000)).toBe('3 min');
    expect(formatDuration(3 * 3600_000)).toBe('3 h');
    expect(formatDuration(-5_000)).toBe('0 s');
    expect(formatDuration(Number.NaN)).toBe('0 s');
  });
  it('floors ages to whole seconds', () => {
    expect(dataAgeMs(10_999, 0)).toBe(10_000);
    expect(dataAgeMs(0, 5_000)).toBe(0);
  });
  it('formats the data-age line and the count', () => {
    expect(formatUpdatedAgo(13_400, 10_000)).toBe('updated 3 s ago');
    expect(formatUpdatedAgo(13_400, null)).toBe('no data yet');
    expect(formatVehicleCount(0)).toBe('0 vehicles');
    expect(formatVehicleCount(1)).toBe('1 vehicle');
    expect(formatVehicleCount(300)).toBe('300 vehicles');
  });
});

describe('routes', () => {
  it('sorts numbered routes numerically before lettered ones', () => {
    expect(sortedRoutes(['N', '38R', '5', 'KT', '14', '38', 'F', '1', '5R'])).toEqual(['1', '5', '5R', '14', '38', '38R', 'F', 'KT', 'N']);
    expect(compareRoutes('N', 'N')).toBe(0);
  });
  it('collects non-empty route ids and says when something is new', () => {
    const seen = new Set<string>();
    expect(collectRoutes(seen, [{ routeId: 'N' }, { routeId: '' }, { routeId: '38' }])).toBe(true);
    expect(collectRoutes(seen, [{ routeId: 'N' }])).toBe(false);
    expect([...seen].sort()).toEqual(['38', 'N']);
  });
  it('filters by selection, empty meaning all', () => {
    expect(routeSelected(new Set(), 'N')).toBe(true);
    expect(routeSelected(new Set(['38']), 'N')).toBe(false);
    expect(routeSelected(new Set(['38']), '38')).toBe(true);
  });
  it('labels and colours routes stably', () => {
    expect(routeLabel('')).toBe('?');
    expect(routeLabel('38R')).toBe('38R');
    expect(routeHue('N')).toBe(routeHue('N'));
    expect(routeHue('N')).toBeGreaterThanOrEqual(0);
    expect(routeHue('N')).toBeLessThan(360);
  });
});

describe('TileHealth', () => {
  it('is fine until told otherwise', () => {
    expect(new TileHealth().unavailable).toBe(false);
  });
  it('is unavailable without a tile layer', () => {
    const t = new TileHealth();
    t.noTileLayer();
    expect(t.unavailable).toBe(true);
    t.tileLayerAdded();
    expect(t.unavailable).toBe(false);
  });
  it('is unavailable when tiles fail before any loads', () => {
    const t = new TileHealth();
    t.tileFailed();
    expect(t.unavailable).toBe(true);
    t.tileLoaded();
    expect(t.unavailable).toBe(false);
  });
  it('tolerates an occasional failure after tiles loaded, not a run of them', () => {
    const t = new TileHealth(3);
    t.tileLoaded();
    t.tileFailed();
    t.tileFailed();
    expect(t.unavailable).toBe(false);
    t.tileFailed();
    expect(t.unavailable).toBe(true);
    t.tileLoaded();
    expect(t.unavailable).toBe(false);
  });
});

describe('newClientId', () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  it('uses crypto.randomUUID when present', () => {
    expect(newClientId()).toMatch(UUID);
    expect(newClientId()).not.toBe(newClientId());
  });
  it('builds a v4 UUID from getRandomValues outside secure contexts', () => {
    const id = newClientId({ getRandomValues: (a) => globalThis.crypto.getRandomValues(a) });
    expect(id).toMatch(UUID);
  });
});

describe('payload validation', () => {
  it('reads /api/config with defaults', () => {
    expect(parseConfig({ tileUrl: ' https://t/{z}/{x}/{y}.png ', fallbackIntervalMs: 10_000 })).toEqual({
      tileUrl: 'https://t/{z}/{x}/{y}.png',
      tileAttribution: '',
      fallbackIntervalMs: 10_000,
      agencies: [],
    });
    expect(parseConfig({ agencies: ['SF', 'AC', 7, 'no spaces'] }).agencies).toEqual(['SF', 'AC']);
    expect(parseConfig(null)).toEqual(DEFAULT_CONFIG);
    expect(parseConfig({ fallbackIntervalMs: -1, tileUrl: 5 })).toEqual(DEFAULT_CONFIG);
  });
  it('accepts snapshots and deltas, rejects malformed ones', () => {
    const vehicle = { id: 'a', routeId: 'N', lat: 1, lon: 2, bearing: null, updatedAt: 3 };
    expect(isSnapshot({ version: 1, generatedAt: 2, vehicles: [vehicle] })).toBe(true);
    expect(isSnapshot({ version: 1, generatedAt: 2, vehicles: [{ ...vehicle, lat: '1' }] })).toBe(false);
    expect(isDelta({ fromVersion: 1, version: 2, generatedAt: 3, upserts: [vehicle], removals: ['b'] })).toBe(true);
    expect(isDelta({ fromVersion: 1, version: 2, generatedAt: 3, upserts: [], removals: [4] })).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { MAX_PLAUSIBLE_VERSION, parseCoordinationMessage } from './coordination-messages.js';

const vehicle = { id: 'v1', routeId: 'N', lat: 37.7, lon: -122.4, bearing: 90, updatedAt: 1_700_000_000_000 };
const snapshot = { version: 7, generatedAt: 1_700_000_000_000, vehicles: [vehicle] };
const data = { t: 'data', from: 'machine-a', fence: 3, snapshot };
const status = {
  t: 'status',
  from: 'machine-a',
  fence: 3,
  status: { feed: 'gtfs-rt', polling: true, state: 'ok', lastSuccessAt: 1_700_000_000_000, lastError: null, consecutiveFailures: 0, calls: 12 },
};
const parse = (v: unknown) => parseCoordinationMessage(JSON.stringify(v));

describe('parseCoordinationMessage', () => {
  it('accepts a data message with or without a delta, and a status message', () => {
    expect(parse(data)).toEqual({ ok: true, value: data });
    const delta = { fromVersion: 6, version: 7, generatedAt: 1_700_000_000_000, upserts: [vehicle], removals: ['v9'] };
    expect(parse({ ...data, delta }).ok).toBe(true);
    expect(parse(status)).toEqual({ ok: true, value: status });
  });

  it('refuses what would crash or freeze a follower, naming the field', () => {
    const cases: [unknown, RegExp][] = [
      [null, /\(value\)/],
      [{ ...data, snapshot: { ...snapshot, version: MAX_PLAUSIBLE_VERSION + 1 } }, /^snapshot\.version/],
      [{ ...data, snapshot: { ...snapshot, version: 1e300 } }, /^snapshot\.version/],
      [{ ...data, snapshot: { ...snapshot, version: -1 } }, /^snapshot\.version/],
      [{ ...data, fence: undefined }, /^fence/],
      [{ ...data, fence: 0 }, /^fence/],
      [{ ...data, t: 'other' }, /^t/],
      [{ ...data, snapshot: { ...snapshot, vehicles: [{ ...vehicle, lat: 'x' }] } }, /^snapshot\.vehicles\.0\.lat/],
      [{ ...data, snapshot: { ...snapshot, vehicles: [{ ...vehicle, lat: 200 }] } }, /^snapshot\.vehicles\.0\.lat/],
      [{ ...data, delta: { fromVersion: 7, version: 7, generatedAt: 1, upserts: [], removals: [] } }, /^delta\.version/],
      [{ ...data, delta: { fromVersion: 5, version: 6, generatedAt: 1, upserts: [], removals: [] } }, /delta and snapshot versions differ/],
      [{ ...status, status: { ...status.status, state: 'exploded' } }, /^status\.state/],
    ];
    for (const [value, problem] of cases) {
      const r = parse(value);
      expect(r.ok, JSON.stringify(value)).toBe(false);
      expect(!r.ok && r.problem).toMatch(problem);
    }
  });

  it('refuses text that is not JSON and empty input without throwing', () => {
    expect(parseCoordinationMessage('{not json')).toEqual({ ok: false, problem: 'not JSON' });
    expect(parseCoordinationMessage('')).toEqual({ ok: false, problem: 'empty' });
    expect(parseCoordinationMessage(null)).toEqual({ ok: false, problem: 'empty' });
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import type { Vehicle } from '../../domain/vehicle.js';
import { FeedError } from '../feed.js';
import { Five11Feed, five11Url, type Five11Format } from './five11.feed.js';

/** The shape of test/support/fake-511-upstream.ts's handle (loaded by a computed specifier: it lives outside src). */
interface Fake511 {
  baseUrl: string;
  calls(): { path: string; agency: string | null; format: string | null; apiKey: string | null; headers: Record<string, unknown>; status: number }[];
  setVehicles(agency: string, vehicles: Vehicle[]): void;
  setMode(mode: string, retryAfter?: string): void;
  close(): Promise<void>;
}
const FAKE_MODULE = '../../../test/support/fake-511-upstream.js';
const KEY = 'key-0f6a7c1e-5e8d-4b0b-9d1e-secret';
const opened: Fake511[] = [];

async function startFake(vehicles: Record<string, Vehicle[]>): Promise<Fake511> {
  const mod = (await import(FAKE_MODULE)) as { startFake511Upstream(o: { apiKey: string; vehicles: Record<string, Vehicle[]> }): Promise<Fake511> };
  const fake = await mod.startFake511Upstream({ apiKey: KEY, vehicles });
  opened.push(fake);
  return fake;
}

const bus = (id: string, over: Partial<Vehicle> = {}): Vehicle => ({ id, routeId: 'N', lat: 37.76, lon: -122.45, bearing: 90, updatedAt: Date.now() - 5_000, label: id, headsign: 'Ocean Beach', ...over });

function feed(fake: Fake511, format: Five11Format, agencies = ['SF'], apiKey = KEY): Five11Feed {
  return new Five11Feed({ apiKey, agencies, baseUrl: fake.baseUrl, format, timeoutMs: 2_000 });
}

async function failure(p: Promise<unknown>): Promise<FeedError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof FeedError) return e;
    throw e;
  }
  throw new Error('expected the fetch to fail');
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((f) => f.close()));
});

describe('five11Url', () => {
  it('puts the key only in api_key and leaves it out of the logged target', () => {
    const u = five11Url('https://api.511.org/transit/', 'siri', 'SF', 'k&y');
    expect(u.url).toBe('https://api.511.org/transit/VehicleMonitoring?api_key=k%26y&agency=SF&format=json');
    expect(u.target).toBe('https://api.511.org/transit/VehicleMonitoring?agency=SF&format=json');
    expect(five11Url('https://api.511.org/transit', 'gtfs-rt', 'AC', 'k').url).toBe('https://api.511.org/transit/vehiclepositions?api_key=k&agency=AC');
  });
});

describe('Five11Feed against a fake 511.org', () => {
  it.each(['siri', 'gtfs-rt'] as const)('%s: one GET per agency, key only in the api_key query parameter, ids prefixed when several', async (format) => {
    const fake = await startFake({ SF: [bus('5812'), bus('1010', { bearing: null })], AC: [bus('5812', { routeId: '51B' })] });
    const r = await feed(fake, format, ['SF', 'AC']).fetch();
    expect(r.calls).toBe(2);
    expect(r.vehicles.map((v) => v.id).sort()).toEqual(['AC:5812', 'SF:1010', 'SF:5812']);
    const sf = r.vehicles.find((v) => v.id === 'SF:5812')!;
    expect(sf).toMatchObject({ routeId: 'N', lat: 37.76, lon: -122.45, bearing: 90, label: '5812' });
    // SIRI names the destination; GTFS-RT vehicle positions carry none.
    expect(sf.headsign).toBe(format === 'siri' ? 'Ocean Beach' : undefined);
    expect(r.vehicles.find((v) => v.id === 'SF:1010')!.bearing).toBeNull();
    const calls = fake.calls();
    expect(calls.map((c) => [c.path, c.agency, c.format])).toEqual(
      format === 'siri'
        ? [['/transit/VehicleMonitoring', 'SF', 'json'], ['/transit/VehicleMonitoring', 'AC', 'json']]
        : [['/transit/vehiclepositions', 'SF', null], ['/transit/vehiclepositions', 'AC', null]],
    );
    expect(calls.every((c) => c.apiKey === KEY)).toBe(true);
    expect(JSON.stringify(calls.map((c) => c.headers))).not.toContain(KEY);
  });

  it('asks only for the agencies given (the watched ones), keeping the agency prefix', async () => {
    const fake = await startFake({ SF: [bus('5812')], AC: [bus('5812', { routeId: '51B' })], BA: [bus('77')] });
    const f = feed(fake, 'siri', ['SF', 'AC', 'BA']);
    expect(f.agencies).toEqual(['SF', 'AC', 'BA']);
    const r = await f.fetch(undefined, ['BA', 'AC']);
    expect(r.calls).toBe(2);
    expect(r.vehicles.map((v) => v.id)).toEqual(['AC:5812', 'BA:77']);
    expect(fake.calls().map((c) => c.agency)).toEqual(['AC', 'BA']);
  });

  it('keeps ids as 511 sends them with one agency; an empty delivery is zero vehicles', async () => {
    const fake = await startFake({ SF: [bus('5812')] });
    expect((await feed(fake, 'siri').fetch()).vehicles.map((v) => v.id)).toEqual(['5812']);
    fake.setMode('no-activity');
    expect((await feed(fake, 'siri').fetch()).vehicles).toEqual([]);
  });

  it('a refused key is unauthorized, names FEED_API_KEY and never the key; later agencies are not asked', async () => {
    const fake = await startFake({ SF: [bus('1')] });
    const e = await failure(feed(fake, 'siri', ['SF', 'AC'], 'wrong-key-1234').fetch());
    expect(e.failure).toBe('unauthorized');
    expect(e.message).toContain('401');
    expect(e.message).toContain('FEED_API_KEY');
    expect(e.message).not.toContain('wrong-key-1234');
    expect(fake.calls()).toHaveLength(1);
  });

  it('429 is rate_limited with Retry-After in seconds or as an HTTP date', async () => {
    const fake = await startFake({ SF: [bus('1')] });
    fake.setMode('rate_limited', '120');
    const seconds = await failure(feed(fake, 'gtfs-rt').fetch());
    expect([seconds.failure, seconds.retryAfterMs]).toEqual(['rate_limited', 120_000]);
    fake.setMode('rate_limited', new Date(Date.now() + 300_000).toUTCString());
    const date = await failure(feed(fake, 'siri').fetch());
    expect(date.failure).toBe('rate_limited');
    expect(date.retryAfterMs).toBeGreaterThan(298_000);
    expect(date.retryAfterMs).toBeLessThanOrEqual(300_000);
    fake.setMode('rate_limited');
    expect((await failure(feed(fake, 'siri').fetch())).retryAfterMs).toBeUndefined();
  });

  it.each([
    ['http500', 'siri', 'http_error'],
    ['malformed', 'siri', 'malformed'],
    ['malformed', 'gtfs-rt', 'malformed'],
    ['empty', 'siri', 'empty'],
    ['empty', 'gtfs-rt', 'empty'],
  ] as const)('%s (%s) fails as %s without the key in the message', async (mode, format, expected) => {
    const fake = await startFake({ SF: [bus('1')] });
    fake.setMode(mode);
    const e = await failure(feed(fake, format).fetch());
    expect(e.failure).toBe(expected);
    expect(e.message).not.toContain(KEY);
  });

  it('a network failure names the target without the key', async () => {
    const fake = await startFake({});
    const baseUrl = fake.baseUrl;
    await fake.close();
    const e = await failure(new Five11Feed({ apiKey: KEY, agencies: ['SF'], baseUrl, format: 'siri', timeoutMs: 2_000 }).fetch());
    expect(e.failure).toBe('network');
    expect(e.message).toContain('VehicleMonitoring?agency=SF');
    expect(e.message).not.toContain(KEY);
  });
});

import GtfsRealtimeBindings from 'gtfs-realtime-bindings';
import { afterEach, describe, it, expect, vi } from 'vitest';
import type { Vehicle } from '../../domain/vehicle.js';
import { FeedError } from '../feed.js';
import { encodeVehiclePositions } from './gtfs-rt.encode.js';
import { GtfsRtFeed } from './gtfs-rt.feed.js';

/** The shape of test/support/fake-gtfs-upstream.ts's handle. */
interface FakeUpstream {
  url: string;
  calls(): number;
  callTimes(): number[];
  setVehicles(vehicles: Vehicle[]): void;
  setMode(mode: 'ok' | 'http500' | 'garbage' | 'hang'): void;
  close(): Promise<void>;
}

// The fake is shared with the integration specs under test/, outside tsconfig's rootDir
// (src): a literal import would pull it into the src program and fail type-checking
// (TS6059), so it is loaded through a computed specifier and typed here.
const FAKE_UPSTREAM_MODULE = '../../../test/support/fake-gtfs-upstream.js';

async function startFake(vehicles: Vehicle[]): Promise<FakeUpstream> {
  const mod = (await import(FAKE_UPSTREAM_MODULE)) as {
    startFakeGtfsUpstream(opts: { vehicles?: Vehicle[] }): Promise<FakeUpstream>;
  };
  const fake = await mod.startFakeGtfsUpstream({ vehicles });
  opened.push(fake);
  return fake;
}

const opened: FakeUpstream[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((f) => f.close()));
});

const { transit_realtime } = GtfsRealtimeBindings;
const T = 1_748_880_000_000;
const VEHICLES: Vehicle[] = [
  { id: 'bus-1', routeId: '38', lat: 37.7855, lon: -122.4216, bearing: 265, updatedAt: T },
  { id: 'train-2', routeId: 'N', lat: 37.7622, lon: -122.4664, bearing: 90, updatedAt: T - 5_000 },
  { id: 'bus-3', routeId: '', lat: 37.765, lon: -122.4196, bearing: null, updatedAt: T },
];

async function failureOf(promise: Promise<unknown>): Promise<FeedError> {
  const err = await promise.then(
    () => expect.unreachable('fetch should have failed'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FeedError);
  return err as FeedError;
}

describe('GtfsRtFeed against a real HTTP upstream', () => {
  it('decodes the vehicles the upstream serves, with one request per fetch', async () => {
    const fake = await startFake(VEHICLES);
    const feed = new GtfsRtFeed({ url: fake.url, timeoutMs: 2_000 });
    const before = Date.now();
    const result = await feed.fetch();

    expect(feed.kind).toBe('gtfs-rt');
    expect(result.vehicles).toEqual(VEHICLES);
    expect(result.skipped).toBe(0);
    // The fake stamps its header with its own clock, truncated to the second.
    expect(result.fetchedAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(fake.calls()).toBe(1);

    fake.setVehicles(VEHICLES.slice(0, 1));
    expect((await feed.fetch()).vehicles.map((v) => v.id)).toEqual(['bus-1']);
    await feed.fetch();
    expect(fake.calls()).toBe(3);
    expect(fake.callTimes()).toHaveLength(3);
  });

  it('returns no vehicles, not an error, for a valid feed with no entities', async () => {
    const fake = await startFake([]);
    const result = await new GtfsRtFeed({ url: fake.url, timeoutMs: 2_000 }).fetch();
    expect(result.vehicles).toEqual([]);
  });

  it('fails with http_error on a 500, naming the status', async () => {
    const fake = await startFake(VEHICLES);
    fake.setMode('http500');
    const err = await failureOf(new GtfsRtFeed({ url: fake.url, timeoutMs: 2_000 }).fetch());
    expect(err.failure).toBe('http_error');
    expect(err.message).toContain('upstream answered 500 Internal Server Error');
    expect(fake.calls()).toBe(1);
  });

  it('fails with malformed when a 200 carries something that is not protobuf', async () => {
    const fake = await startFake(VEHICLES);
    fake.setMode('garbage');
    const err = await failureOf(new GtfsRtFeed({ url: fake.url, timeoutMs: 2_000 }).fetch());
    expect(err.failure).toBe('malformed');
    expect(err.message).toMatch(/not a valid FeedMessage/);
  });

  it('fails with timeout when the upstream never answers, after about timeoutMs', async () => {
    const fake = await startFake(VEHICLES);
    fake.setMode('hang');
    const started = performance.now();
    const err = await failureOf(new GtfsRtFeed({ url: fake.url, timeoutMs: 200 }).fetch());
    const elapsed = performance.now() - started;
    expect(err.failure).toBe('timeout');
    expect(err.message).toContain('did not answer within 200 ms');
    expect(elapsed).toBeGreaterThanOrEqual(180);
    expect(elapsed).toBeLessThan(2_000);
    expect(fake.calls()).toBe(1);
  });

  it('fails with network when nothing listens, naming ECONNREFUSED', async () => {
    const fake = await startFake([]);
    const url = fake.url;
    await fake.close();
    const err = await failureOf(new GtfsRtFeed({ url, timeoutMs: 2_000 }).fetch());
    expect(err.failure).toBe('network');
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('gives up when the caller aborts, as network, or as timeout if it was the caller’s deadline', async () => {
    const fake = await startFake(VEHICLES);
    fake.setMode('hang');
    const feed = new GtfsRtFeed({ url: fake.url, timeoutMs: 5_000 });

    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('no viewers left')), 50);
    const aborted = await failureOf(feed.fetch(controller.signal));
    expect(aborted.failure).toBe('network');
    expect(aborted.message).toContain('aborted by the caller (no viewers left)');

    const deadline = await failureOf(feed.fetch(AbortSignal.timeout(50)));
    expect(deadline.failure).toBe('timeout');
  });
});

describe('GtfsRtFeed request and response handling', () => {
  const okResponse = () => new Response(encodeVehiclePositions(VEHICLES, T), { status: 200 });

  it('sends exactly one GET that accepts protobuf and carries an abort signal', async () => {
    const fetchImpl = vi.fn<typeof fetch>(async () => okResponse());
    const feed = new GtfsRtFeed({ url: 'https://api.example.org/vp?agency=SF', timeoutMs: 1_000, fetchImpl });
    await feed.fetch();
    expect(fetchImpl).toHaveBeenCalledTimes(1);
    const [url, init] = fetchImpl.mock.calls[0]!;
    expect(url).toBe('https://api.example.org/vp?agency=SF');
    expect(init?.method).toBe('GET');
    expect(new Headers(init?.headers).get('accept')).toBe('application/x-protobuf');
    expect(init?.signal).toBeInstanceOf(AbortSignal);
  });

  it('refuses a body over maxBytes while streaming, and one whose Content-Length says so before reading', async () => {
    const big = new Uint8Array(5_000);
    let pulled = 0;
    const stream = () =>
      new ReadableStream<Uint8Array>({
        pull(c) {
          pulled += 1;
          if (pulled > 100) return c.close();
          c.enqueue(big);
        },
      });
    const streaming = new GtfsRtFeed({ url: 'http://u.test/vp', timeoutMs: 1_000, maxBytes: 12_000, fetchImpl: async () => new Response(stream(), { status: 200 }) });
    const err = await failureOf(streaming.fetch());
    expect(err.failure).toBe('malformed');
    expect(err.message).toMatch(/upstream body too large: it sent more than 12000 bytes, FEED_MAX_BYTES is 12000/);
    expect(pulled).toBeLessThan(10); // cancelled, not read to the end
    const declared = new GtfsRtFeed({
      url: 'http://u.test/vp',
      timeoutMs: 1_000,
      maxBytes: 12_000,
      fetchImpl: async () => new Response(big, { status: 200, headers: { 'content-length': '99999' } }),
    });
    expect((await failureOf(declared.fetch())).message).toMatch(/declares 99999 bytes/);
    const ok = new GtfsRtFeed({ url: 'http://u.test/vp', timeoutMs: 1_000, maxBytes: 1_000_000, fetchImpl: async () => okResponse() });
    expect((await ok.fetch()).vehicles.length).toBe(VEHICLES.length);
  });

  it('stamps vehicles with the injected clock when the feed carries no timestamps', async () => {
    const bytes = transit_realtime.FeedMessage.encode({
      header: { gtfsRealtimeVersion: '2.0' },
      entity: [{ id: 'e', vehicle: { position: { latitude: 37.77, longitude: -122.41 } } }],
    }).finish();
    const fetchImpl = vi.fn<typeof fetch>(async () => new Response(bytes, { status: 200 }));
    const feed = new GtfsRtFeed({ url: 'http://u.test/vp', timeoutMs: 1_000, fetchImpl, now: () => 42_000 });
    expect(await feed.fetch()).toEqual({
      vehicles: [{ id: 'e', routeId: '', lat: 37.77, lon: -122.41, bearing: null, updatedAt: 42_000 }],
      fetchedAt: 42_000,
      skipped: 0,
    });
  });

  it('names the status and reason of a 503 without leaking the API key in the URL', async () => {
    const fetchImpl = vi.fn<typeof fetch>(
      async () => new Response('busy', { status: 503, statusText: 'Service Unavailable' }),
    );
    const feed = new GtfsRtFeed({ url: 'https://api.511.org/transit/vp?api_key=SECRET123', timeoutMs: 1_000, fetchImpl });
    const err = await failureOf(feed.fetch());
    expect(err.failure).toBe('http_error');
    expect(err.message).toBe('upstream answered 503 Service Unavailable for GET https://api.511.org/transit/vp');
    expect(err.message).not.toContain('SECRET123');
  });

  it('fills in the standard reason when the response has none (HTTP/2)', async () => {
    const fetchImpl = vi.fn<typeof fetch>(async () => new Response(null, { status: 429 }));
    const err = await failureOf(new GtfsRtFeed({ url: 'http://u.test/vp', timeoutMs: 1_000, fetchImpl }).fetch());
    expect(err.message).toContain('429 Too Many Requests');
  });

  it('fails with empty on a 200 with a 0-byte body', async () => {
    const fetchImpl = vi.fn<typeof fetch>(async () => new Response(new Uint8Array(0), { status: 200 }));
    const err = await failureOf(new GtfsRtFeed({ url: 'http://u.test/vp', timeoutMs: 1_000, fetchImpl }).fetch());
    expect(err.failure).toBe('empty');
    expect(err.message).toContain('empty body');
  });

  it('rejects a non-http URL and a non-positive timeout up front', () => {
    expect(() => new GtfsRtFeed({ url: 'file:///etc/passwd', timeoutMs: 1_000 })).toThrow(/http/);
    expect(() => new GtfsRtFeed({ url: 'http://u.test/vp', timeoutMs: 0 })).toThrow(/timeoutMs/);
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EtagCache, FallbackPoller, pollVehicles, vehiclesUrl, type FetchLike, type PollOutcome, type ResponseLike } from './fallback.js';
import type { Snapshot } from '../../protocol/wire.js';

const snapshot = (version: number): Snapshot => ({
  version,
  generatedAt: 1_700_000_000_000 + version,
  vehicles: [{ id: 'v1', routeId: 'N', lat: 37.7, lon: -122.4, bearing: null, updatedAt: 1 }],
});

function response(status: number, body?: unknown, etag?: string): ResponseLike {
  return {
    status,
    headers: { get: (name: string) => (name.toLowerCase() === 'etag' ? (etag ?? null) : null) },
    json: async () => {
      if (body === undefined) throw new SyntaxError('Unexpected end of JSON input');
      return body;
    },
  };
}

/** A fake server: answers 304 when If-None-Match matches the current ETag for the URL. */
function fakeServer() {
  let version = 1;
  const calls: { url: string; headers: Record<string, string> }[] = [];
  const fetchFn: FetchLike = async (url, init) => {
    calls.push({ url, headers: init.headers });
    const etag = `"v${version}:${url}"`;
    if (init.headers['If-None-Match'] === etag) return response(304);
    return response(200, snapshot(version), etag);
  };
  return {
    fetchFn,
    calls,
    bump: () => {
      version++;
    },
  };
}

describe('vehiclesUrl', () => {
  it('asks for all routes without a query, and for some with a comma list', () => {
    expect(vehiclesUrl([])).toBe('/api/vehicles');
    expect(vehiclesUrl(['N', '38'])).toBe('/api/vehicles?routes=N,38');
    expect(vehiclesUrl(['A B', 'x&y'])).toBe('/api/vehicles?routes=A%20B,x%26y');
  });

  it('names the agency when one is chosen', () => {
    expect(vehiclesUrl([], '/api/vehicles', 'AC')).toBe('/api/vehicles?agency=AC');
    expect(vehiclesUrl(['51B'], '/api/vehicles', 'AC')).toBe('/api/vehicles?routes=51B&agency=AC');
    expect(vehiclesUrl(['N'], '/api/vehicles', null)).toBe('/api/vehicles?routes=N');
  });
});

describe('EtagCache', () => {
  it('sends If-None-Match only for the URL the ETag came from', () => {
    const c = new EtagCache();
    expect(c.headersFor('/api/vehicles')).toEqual({ Accept: 'application/json' });
    c.remember('/api/vehicles', '"7"');
    expect(c.headersFor('/api/vehicles')).toEqual({ Accept: 'application/json', 'If-None-Match': '"7"' });
    expect(c.headersFor('/api/vehicles?routes=N')['If-None-Match']).toBeUndefined();
    c.clear();
    expect(c.headersFor('/api/vehicles')['If-None-Match']).toBeUndefined();
  });
  it('forgets when a response has no ETag', () => {
    const c = new EtagCache();
    c.remember('/a', '"1"');
    c.remember('/a', null);
    expect(c.headersFor('/a')['If-None-Match']).toBeUndefined();
  });
});

describe('pollVehicles', () => {
  it('returns the snapshot on 200 and revalidates with the ETag next time (304)', async () => {
    const server = fakeServer();
    const etags = new EtagCache();
    const first = await pollVehicles(server.fetchFn, '/api/vehicles', etags);
    expect(first).toEqual({ kind: 'snapshot', snapshot: snapshot(1) });
    expect(server.calls[0]?.headers['If-None-Match']).toBeUndefined();
    const second = await pollVehicles(server.fetchFn, '/api/vehicles', etags);
    expect(second).toEqual({ kind: 'not-modified' });
    expect(server.calls[1]?.headers['If-None-Match']).toBe('"v1:/api/vehicles"');
    server.bump();
    expect(await pollVehicles(server.fetchFn, '/api/vehicles', etags)).toEqual({ kind: 'snapshot', snapshot: snapshot(2) });
  });

  it('asks the browser cache to stay out of it', async () => {
    const fetchFn = vi.fn<FetchLike>(async () => response(200, snapshot(1)));
    await pollVehicles(fetchFn, '/api/vehicles', new EtagCache());
    expect(fetchFn.mock.calls[0]?.[1].cache).toBe('no-store');
  });

  it('reports network errors, HTTP errors and bad bodies without throwing', async () => {
    const etags = new EtagCache();
    expect(await pollVehicles(async () => Promise.reject(new TypeError('Failed to fetch')), '/x', etags)).toEqual({
      kind: 'error',
      message: 'request failed: Failed to fetch',
    });
    expect(await pollVehicles(async () => response(503, {}), '/x', etags)).toEqual({ kind: 'error', message: 'HTTP 503' });
    expect(await pollVehicles(async () => response(200), '/x', etags)).toEqual({ kind: 'error', message: 'response is not JSON' });
    expect(await pollVehicles(async () => response(200, { version: 1 }, '"e"'), '/x', etags)).toEqual({
      kind: 'error',
      message: 'response is not a vehicles snapshot',
    });
    // A rejected body must not leave its ETag behind.
    expect(etags.current).toBeNull();
  });
});

describe('FallbackPoller', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function setup(intervalMs = 30_000, routes: string[] = []) {
    const server = fakeServer();
    const outcomes: PollOutcome[] = [];
    const poller = new FallbackPoller({
      fetch: server.fetchFn,
      intervalMs,
      routes: () => routes,
      onOutcome: (o) => outcomes.push(o),
    });
    return { server, outcomes, poller, routes };
  }

  it('polls at once, then every interval after each answer, with If-None-Match', async () => {
    const { server, outcomes, poller } = setup(30_000);
    poller.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(outcomes.map((o) => o.kind)).toEqual(['snapshot']);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(server.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.calls).toHaveLength(2);
    expect(outcomes.map((o) => o.kind)).toEqual(['snapshot', 'not-modified']);
    expect(server.calls[1]?.headers['If-None-Match']).toBeDefined();
    server.bump();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(outcomes.map((o) => o.kind)).toEqual(['snapshot', 'not-modified', 'snapshot']);
    poller.stop();
  });

  it('stops polling on stop() and ignores an answer that arrives afterwards', async () => {
    let release: (r: ResponseLike) => void = () => {};
    let signal: AbortSignal | undefined;
    const outcomes: PollOutcome[] = [];
    const poller = new FallbackPoller({
      fetch: (_url, init) => {
        signal = init.signal;
        return new Promise((resolve) => (release = resolve));
      },
      intervalMs: 1_000,
      routes: () => [],
      onOutcome: (o) => outcomes.push(o),
    });
    poller.start();
    expect(poller.running).toBe(true);
    poller.stop();
    expect(poller.running).toBe(false);
    expect(signal?.aborted).toBe(true);
    release(response(200, snapshot(1)));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(outcomes).toEqual([]);
    expect(poller.pollCount).toBe(1);
  });

  it('starts afresh without a stale validator after a restart', async () => {
    const { server, poller } = setup(1_000);
    poller.start();
    await vi.advanceTimersByTimeAsync(0);
    poller.stop();
    poller.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(server.calls).toHaveLength(2);
    expect(server.calls[1]?.headers['If-None-Match']).toBeUndefined();
    poller.stop();
  });

  it('pollNow() asks for the current routes immediately and keeps the schedule', async () => {
    const { server, poller, routes } = setup(30_000);
    poller.start();
    await vi.advanceTimersByTimeAsync(0);
    routes.push('N', '38');
    poller.pollNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(server.calls.map((c) => c.url)).toEqual(['/api/vehicles', '/api/vehicles?routes=N,38']);
    expect(server.calls[1]?.headers['If-None-Match']).toBeUndefined(); // other URL, other validator
    await vi.advanceTimersByTimeAsync(30_000);
    expect(server.calls).toHaveLength(3);
    poller.stop();
  });

  it('pollNow() does nothing while stopped', async () => {
    const { server, poller } = setup();
    poller.pollNow();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(server.calls).toHaveLength(0);
  });

  it('uses a changed interval from the next wait on', async () => {
    const { server, poller } = setup(30_000);
    poller.start();
    await vi.advanceTimersByTimeAsync(0);
    poller.setIntervalMs(5_000);
    await vi.advanceTimersByTimeAsync(30_000); // the wait already scheduled
    await vi.advanceTimersByTimeAsync(5_000);
    expect(server.calls).toHaveLength(3);
    poller.stop();
  });

  it('keeps polling after errors', async () => {
    let n = 0;
    const outcomes: PollOutcome[] = [];
    const poller = new FallbackPoller({
      fetch: async () => {
        n++;
        if (n === 1) throw new TypeError('Failed to fetch');
        return response(200, snapshot(n));
      },
      intervalMs: 1_000,
      routes: () => [],
      onOutcome: (o) => outcomes.push(o),
    });
    poller.start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(outcomes.map((o) => o.kind)).toEqual(['error', 'snapshot']);
    poller.stop();
  });
});

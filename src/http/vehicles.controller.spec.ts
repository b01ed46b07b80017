import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigModule } from '../config/config.module.js';
import type { Snapshot, Vehicle } from '../domain/vehicle.js';
import { LiveModule } from '../live/live.module.js';
import { listenLoopback, testIdentity, withoutPrimary } from '../live/live.testing.js';
import { SnapshotCache } from '../live/snapshot-cache.js';
import { HttpApiModule } from './http-api.module.js';

const v = (id: string, routeId: string): Vehicle => ({ id, routeId, lat: 37.7, lon: -122.4, bearing: null, updatedAt: 1 });
const snapshot: Snapshot = { version: 3, generatedAt: Date.now() - 1500, vehicles: [v('a', 'N'), v('b', '38'), v('c', '14')] };
const ROUTE_RULE = '1–32 characters of A–Z, a–z, 0–9, _ . -';

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/**
 * The real HttpApiModule over the real config and live modules on 127.0.0.1:0; the snapshot
 * store is one the test fills, and the IPC link records the viewer reports (withoutPrimary).
 */
async function start(env: Record<string, string> = {}) {
  const cache = new SnapshotCache();
  const identity = testIdentity(env);
  const { builder, sent } = withoutPrimary(Test.createTestingModule({ imports: [ConfigModule.forWorker(identity), LiveModule, HttpApiModule] }));
  app = (await builder.overrideProvider(SnapshotCache).useValue(cache).compile()).createNestApplication({ logger: false });
  const base = await listenLoopback(app);
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers });
  return { cache, get, sent };
}

/** A 400's status and Nest's `message`. */
async function refusal(res: Response): Promise<[number, unknown]> {
  return [res.status, ((await res.json()) as { message: unknown }).message];
}

describe('VehiclesController GET /api/vehicles (HttpApiModule, real HTTP)', () => {
  it('serves the store’s snapshot with a strong ETag, no-cache and the data age', async () => {
    const { cache, get } = await start();
    cache.apply(snapshot);
    const res = await get('/api/vehicles');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(snapshot);
    expect(res.headers.get('etag')).toBe('"v3-all"');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(Number(res.headers.get('x-data-age-seconds'))).toBeGreaterThanOrEqual(1.5);
  });

  it('answers 503 with Retry-After before the first snapshot', async () => {
    const { get } = await start();
    const res = await get('/api/vehicles');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(((await res.json()) as { message: string }).message).toBe('No vehicle snapshot yet: the first upstream poll is under way; retry in a few seconds.');
  });

  it('?routes filters the body and keys the ETag on the route set, in any order', async () => {
    const { cache, get } = await start();
    cache.apply(snapshot);
    const res = await get('/api/vehicles?routes=N,14');
    expect(await res.json()).toEqual({ ...snapshot, vehicles: [v('a', 'N'), v('c', '14')] });
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"v3-[\w-]{12}"$/);
    expect((await get('/api/vehicles?routes=14,N')).headers.get('etag')).toBe(etag);
    expect((await get('/api/vehicles?routes=N')).headers.get('etag')).not.toBe(etag);
  });

  it('If-None-Match with the current ETag → 304, the same ETag, no body; a stale one → 200', async () => {
    const { cache, get } = await start();
    cache.apply(snapshot);
    const etag = (await get('/api/vehicles?routes=N')).headers.get('etag')!;
    const hit = await get('/api/vehicles?routes=N', { 'if-none-match': `W/${etag}, "other"` });
    expect(hit.status).toBe(304);
    expect(hit.headers.get('etag')).toBe(etag);
    expect(await hit.text()).toBe('');
    // Another route set, or the next version, is another representation.
    expect((await get('/api/vehicles?routes=38', { 'if-none-match': etag })).status).toBe(200);
    cache.apply({ ...snapshot, version: 4 });
    const next = await get('/api/vehicles?routes=N', { 'if-none-match': etag });
    expect(next.status).toBe(200);
    expect(next.headers.get('etag')).toBe(etag.replace('"v3-', '"v4-'));
  });

  it('refuses a bad ?routes with a 400 that names the problem', async () => {
    const { cache, get } = await start();
    cache.apply(snapshot);
    expect(await refusal(await get('/api/vehicles?routes=N,<script>'))).toEqual([400, `route id "<script>" is not ${ROUTE_RULE}`]);
    expect(await refusal(await get(`/api/vehicles?routes=${'x'.repeat(33)}`))).toEqual([400, `route id "${'x'.repeat(33)}" is not ${ROUTE_RULE}`]);
    expect(await refusal(await get('/api/vehicles?routes=N&routes=38'))).toEqual([400, 'routes must be given once, as a comma-separated list']);
  });

  it('refuses ?agency on a feed without agencies', async () => {
    const { cache, get } = await start();
    cache.apply(snapshot);
    expect(await refusal(await get('/api/vehicles?agency=SF'))).toEqual([400, 'agency: unknown agency "SF": this feed has no agencies to choose from; omit agency']);
  });

  it('counts a served request as a fallback viewer, a refused one not', async () => {
    const { cache, get, sent } = await start();
    cache.apply(snapshot);
    await get('/api/vehicles?routes=<bad>');
    await new Promise((r) => setTimeout(r, 60)); // past the reporter's 25 ms coalescing
    expect(sent).toEqual([]);
    const before = Date.now();
    await get('/api/vehicles');
    await expect.poll(() => sent.at(-1), { timeout: 2000, interval: 5 }).toMatchObject({ t: 'viewers', sockets: 0 });
    expect((sent.at(-1) as { lastFallbackAt: number }).lastFallbackAt).toBeGreaterThanOrEqual(before);
  });
});

describe('VehiclesController with agencies (FEED=511, FEED_AGENCIES=SF,AC)', () => {
  const env = { FEED: '511', FEED_API_KEY: 'test-key', FEED_AGENCIES: 'SF,AC' };
  const mixed: Snapshot = { version: 5, generatedAt: Date.now(), vehicles: [v('SF:1', 'N'), v('AC:1', '51B'), v('AC:2', '6')] };

  it('?agency picks the vehicles (default the first) and keys the ETag; an unknown or repeated one is a 400', async () => {
    const { cache, get } = await start(env);
    cache.apply(mixed);
    const sf = await get('/api/vehicles');
    expect(await sf.json()).toEqual({ ...mixed, vehicles: [v('SF:1', 'N')] });
    const ac = await get('/api/vehicles?agency=AC');
    expect(await ac.json()).toEqual({ ...mixed, vehicles: [v('AC:1', '51B'), v('AC:2', '6')] });
    expect(ac.headers.get('etag')).not.toBe(sf.headers.get('etag'));
    expect(await refusal(await get('/api/vehicles?agency=BA'))).toEqual([400, 'agency: unknown agency "BA": this server serves SF, AC']);
    expect(await refusal(await get('/api/vehicles?agency=SF&agency=AC'))).toEqual([400, 'agency: give one agency id (?agency=SF)']);
  });

  it('GET /api/config lists the agencies the map may pick', async () => {
    const { get } = await start(env);
    const body = (await (await get('/api/config')).json()) as { agencies: string[]; fallbackIntervalMs: number };
    expect(body.agencies).toEqual(['SF', 'AC']);
    expect(body.fallbackIntervalMs).toBe(testIdentity(env).config.FALLBACK_INTERVAL_MS);
  });
});

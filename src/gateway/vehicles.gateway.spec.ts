import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigModule } from '../config/config.module.js';
import type { Delta, Snapshot, Vehicle } from '../domain/vehicle.js';
import { securityHeaders } from '../http/security-headers.js';
import { LiveModule } from '../live/live.module.js';
import { listenLoopback, testIdentity, withoutPrimary } from '../live/live.testing.js';
import { SnapshotCache } from '../live/snapshot-cache.js';
import { RefusalLog } from '../logging/refusal-log.js';
import { WorkerMetrics } from '../metrics/worker-metrics.js';
import type { SubscribeAck } from '../protocol/wire.js';
import { EVENT_LIMITS } from './events.js';
import { GatewayModule } from './gateway.module.js';
import { TransitIoAdapter } from './transit-io.adapter.js';

const v = (id: string, routeId: string, lat = 37.7): Vehicle => ({ id, routeId, lat, lon: -122.4, bearing: null, updatedAt: 1 });
const s1: Snapshot = { version: 1, generatedAt: 10, vehicles: [v('a', 'N'), v('b', '38'), v('c', '14')] };
/** Version 2: only `a` (route N) moved. */
const d2: Delta = { fromVersion: 1, version: 2, generatedAt: 20, upserts: [v('a', 'N', 37.8)], removals: [] };
const s2: Snapshot = { version: 2, generatedAt: 20, vehicles: [v('a', 'N', 37.8), v('b', '38'), v('c', '14')] };

type Received = [event: string, payload: unknown][];
interface Client {
  socket: ClientSocket;
  received: Received;
  subscribe(payload: unknown): Promise<SubscribeAck>;
}

let app: INestApplication | undefined;
const clients: ClientSocket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await app?.close();
  app = undefined;
});

/**
 * The real GatewayModule (gateway, Broadcaster, SubscribePipe, AckErrorFilter) with the real
 * config and live modules, on the worker's own Socket.IO adapter, listening on 127.0.0.1:0.
 * Only what reaches the primary is replaced (withoutPrimary: the IPC link records what the
 * worker would send, the metrics count in a registry of their own).
 */
async function start(env: Record<string, string> = {}) {
  const identity = testIdentity(env);
  const { config, workerId, logger } = identity;
  const { builder, sent } = withoutPrimary(Test.createTestingModule({ imports: [ConfigModule.forWorker(identity), LiveModule, GatewayModule] }));
  const moduleRef = await builder.compile();
  app = moduleRef.createNestApplication({ logger: false });
  const metrics = app.get(WorkerMetrics);
  app.useWebSocketAdapter(new TransitIoAdapter(app, config, workerId, { security: securityHeaders(config), refusals: new RefusalLog(logger), metrics }));
  const url = await listenLoopback(app);
  const cache = app.get(SnapshotCache);
  const client = async (): Promise<Client> => {
    const socket = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false });
    clients.push(socket);
    const received: Received = [];
    socket.onAny((event: string, payload: unknown) => received.push([event, payload]));
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('connect_error', reject));
    const subscribe = (payload: unknown) => socket.timeout(2000).emitWithAck('subscribe', payload) as Promise<SubscribeAck>;
    return { socket, received, subscribe };
  };
  return { cache, client, sent };
}

/** Waits until `received` holds `n` events (2 s at most), then returns them. */
async function events(received: Received, n: number): Promise<Received> {
  await expect.poll(() => received.length, { timeout: 2000, interval: 5 }).toBeGreaterThanOrEqual(n);
  return received;
}

/** A server round trip: anything the server sent before answering it has arrived. */
const roundTrip = (c: Client) => c.subscribe({ routes: [] });

describe('VehiclesGateway (GatewayModule on TransitIoAdapter, real socket.io-client)', () => {
  it('sends a connecting client the cached snapshot', async () => {
    const { cache, client } = await start();
    cache.apply(s1);
    const c = await client();
    expect(await events(c.received, 1)).toEqual([['vehicles:snapshot', s1]]);
  });

  it('sends nothing before the first snapshot; the first one reaches every client through the Broadcaster', async () => {
    const { cache, client } = await start();
    const a = await client();
    const b = await client();
    await roundTrip(a);
    expect(a.received).toEqual([]);
    cache.apply(s1);
    expect(await events(a.received, 1)).toEqual([['vehicles:snapshot', s1]]);
    expect(await events(b.received, 1)).toEqual([['vehicles:snapshot', s1]]);
  });

  it('acks a valid subscribe with the routes sorted, then sends the snapshot of those routes only', async () => {
    const { cache, client } = await start();
    cache.apply(s1);
    const c = await client();
    await events(c.received, 1);
    expect(await c.subscribe({ routes: ['N', '14'] })).toEqual({ status: 'ok', routes: ['14', 'N'] });
    expect((await events(c.received, 2))[1]).toEqual(['vehicles:snapshot', { ...s1, vehicles: [v('a', 'N'), v('c', '14')] }]);
    // An empty list is every route again.
    expect(await c.subscribe({ routes: [] })).toEqual({ status: 'ok', routes: [] });
    expect((await events(c.received, 3))[2]).toEqual(['vehicles:snapshot', s1]);
  });

  it('answers an invalid subscribe on its ack with the reason (no `exception` event) and keeps the socket and its routes', async () => {
    const { client } = await start();
    const c = await client();
    await c.subscribe({ routes: ['N'] });
    expect(await c.subscribe(null)).toEqual({ status: 'error', message: 'payload must be an object { routes: string[], agency?: string }' });
    expect(await c.subscribe({ routes: ['N', 'a b'] })).toEqual({ status: 'error', message: 'routes.1: route ids are 1–32 characters of A–Z, a–z, 0–9, _ . -' });
    expect(await c.subscribe({ routes: [], agency: 'SF' })).toEqual({
      status: 'error',
      message: 'agency: unknown agency "SF": this feed has no agencies to choose from; omit agency',
    });
    expect(c.received).toEqual([]);
    expect(c.socket.connected).toBe(true);
  });

  it('a refused subscribe leaves the earlier subscription in force', async () => {
    const { cache, client } = await start();
    cache.apply(s1);
    const c = await client();
    await c.subscribe({ routes: ['38'] });
    await c.subscribe({ routes: 'N' });
    cache.apply(s2, d2);
    // Still on 38: `a` (route N) moved, so this client's delta is empty.
    expect((await events(c.received, 3)).slice(1)).toEqual([
      ['vehicles:snapshot', { ...s1, vehicles: [v('b', '38')] }],
      ['vehicles:delta', { ...d2, upserts: [] }],
    ]);
  });

  it('answers a subscribe without an ack with nothing, valid or not', async () => {
    const { client } = await start();
    const c = await client();
    c.socket.emit('subscribe', null);
    c.socket.emit('subscribe', { routes: ['N'] });
    await roundTrip(c);
    expect(c.received).toEqual([]);
    expect(c.socket.connected).toBe(true);
  });

  it('fans an update out by subscription: the delta of route N reaches the N subscriber, not the 38 one', async () => {
    const { cache, client } = await start();
    cache.apply(s1);
    const [onN, on38, onAll] = [await client(), await client(), await client()];
    await onN.subscribe({ routes: ['N'] });
    await on38.subscribe({ routes: ['38'] });
    for (const c of [onN, on38]) await events(c.received, 2);
    await events(onAll.received, 1);
    cache.apply(s2, d2);
    expect((await events(onN.received, 3))[2]).toEqual(['vehicles:delta', d2]);
    expect((await events(on38.received, 3))[2]).toEqual(['vehicles:delta', { ...d2, upserts: [] }]);
    expect((await events(onAll.received, 2))[1]).toEqual(['vehicles:delta', d2]);
  });

  it('refuses the event past the burst on its ack', async () => {
    const { client } = await start();
    const c = await client();
    const acks = await Promise.all(Array.from({ length: EVENT_LIMITS.burst + 1 }, () => c.subscribe({ routes: ['N'] })));
    expect(acks.slice(0, EVENT_LIMITS.burst).every((a) => a.status === 'ok')).toBe(true);
    expect(acks.at(-1)).toEqual({ status: 'error', message: 'rate limited: at most 2 events a second (bursts of 10)' });
  });

  it('reports its viewers to the primary: 1 once a client connects, 0 after it leaves', async () => {
    const { client, sent } = await start();
    const c = await client();
    const viewers = () => sent.filter((m) => m.t === 'viewers').at(-1);
    await expect.poll(viewers, { timeout: 2000, interval: 5 }).toMatchObject({ sockets: 1 });
    c.socket.close();
    await expect.poll(viewers, { timeout: 2000, interval: 5 }).toMatchObject({ sockets: 0 });
  });
});

describe('VehiclesGateway with agencies (FEED=511, FEED_AGENCIES=SF,AC)', () => {
  const env = { FEED: '511', FEED_API_KEY: 'test-key', FEED_AGENCIES: 'SF,AC' };
  const mixed: Snapshot = { version: 1, generatedAt: 10, vehicles: [v('SF:1', 'N'), v('AC:1', '51B'), v('AC:2', '6')] };

  it('watches the first agency until told otherwise; subscribe names another and is acked with it', async () => {
    const { cache, client, sent } = await start(env);
    cache.apply(mixed);
    const c = await client();
    expect(await events(c.received, 1)).toEqual([['vehicles:snapshot', { ...mixed, vehicles: [v('SF:1', 'N')] }]]);
    expect(await c.subscribe({ routes: [], agency: 'AC' })).toEqual({ status: 'ok', routes: [], agency: 'AC' });
    expect((await events(c.received, 2))[1]).toEqual(['vehicles:snapshot', { ...mixed, vehicles: [v('AC:1', '51B'), v('AC:2', '6')] }]);
    // The primary polls per agency: the report moves this viewer from SF to AC.
    await expect.poll(() => sent.filter((m) => m.t === 'viewers').at(-1), { timeout: 2000, interval: 5 }).toMatchObject({ agencies: { AC: { sockets: 1 } } });
    expect(sent.filter((m) => m.t === 'viewers').at(-1)).not.toHaveProperty('agencies.SF');
  });

  it('refuses an agency the server does not serve, naming the ones it does', async () => {
    const { client } = await start(env);
    const c = await client();
    expect(await c.subscribe({ routes: ['N'], agency: 'BA' })).toEqual({ status: 'error', message: 'agency: unknown agency "BA": this server serves SF, AC' });
  });
});

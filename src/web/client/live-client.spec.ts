// The socket side of the page against a real in-process Socket.IO server speaking the
// Transit Tracker protocol (loopback, ephemeral port).
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HandshakeAuth, SubscribeAck } from '../../protocol/wire.js';
import { LiveClient } from './live-client.js';
import { describeStatus, initialStatus, reduceStatus, type StatusEvent } from './status.js';
import type { Delta, Snapshot, Vehicle } from '../../protocol/wire.js';
import { VehicleStore } from './vehicle-store.js';

const vehicle = (id: string, routeId: string, lat = 37.77): Vehicle => ({
  id,
  routeId,
  lat,
  lon: -122.42,
  bearing: 45,
  updatedAt: 1,
});

async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

class FakeTransitServer {
  readonly http: HttpServer = createServer();
  readonly io = new Server(this.http, { path: '/socket.io/' });
  readonly auths: HandshakeAuth[] = [];
  readonly subscribes: string[][] = [];
  /** Every `subscribe` payload as received. */
  readonly requests: unknown[] = [];
  readonly sockets: ServerSocket[] = [];
  version = 1;
  vehicles = new Map<string, Vehicle>([
    ['a', vehicle('a', 'N')],
    ['b', vehicle('b', '38')],
    ['c', vehicle('c', '38')],
  ]);
  subscribeReply: (routes: string[]) => unknown = (routes) => ({ status: 'ok', routes });

  constructor() {
    this.io.on('connection', (socket) => {
      this.auths.push(socket.handshake.auth as HandshakeAuth);
      this.sockets.push(socket);
      socket.data.routes = [] as string[];
      socket.emit('vehicles:snapshot', this.snapshot([]));
      socket.on('subscribe', (req: { routes: string[] }, ack: (r: unknown) => void) => {
        this.subscribes.push(req.routes);
        this.requests.push(req);
        const reply = this.subscribeReply(req.routes);
        ack(reply);
        if ((reply as SubscribeAck).status !== 'ok') return;
        socket.data.routes = req.routes;
        socket.emit('vehicles:snapshot', this.snapshot(req.routes));
      });
    });
  }

  snapshot(routes: string[]): Snapshot {
    const vehicles = [...this.vehicles.values()].filter((v) => routes.length === 0 || routes.includes(v.routeId));
    return { version: this.version, generatedAt: Date.now(), vehicles };
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
  }

  /** Moves to the next version and sends the delta (optionally claiming another fromVersion). */
  change(upserts: Vehicle[], removals: string[] = [], fromVersion = this.version): Delta {
    for (const id of removals) this.vehicles.delete(id);
    for (const v of upserts) this.vehicles.set(v.id, v);
    const delta: Delta = { fromVersion, version: ++this.version, generatedAt: Date.now(), upserts, removals };
    this.io.emit('vehicles:delta', delta);
    return delta;
  }

  async close(): Promise<void> {
    await this.io.close();
  }
}

describe('LiveClient', () => {
  let server: FakeTransitServer;
  let url: string;
  let client: LiveClient | null = null;
  let routes: string[];
  let store: VehicleStore;
  let events: StatusEvent[];
  let acks: unknown[];

  beforeEach(async () => {
    server = new FakeTransitServer();
    url = await server.listen();
    routes = [];
    store = new VehicleStore();
    events = [];
    acks = [];
  });

  afterEach(async () => {
    client?.close();
    client = null;
    await server.close();
  });

  function start(extra: Partial<ConstructorParameters<typeof LiveClient>[0]> = {}): LiveClient {
    client = new LiveClient({
      url,
      clientId: 'page-1',
      store,
      routes: () => routes,
      onData: () => {},
      onStatus: (e) => events.push(e),
      onSubscribeResult: (r) => acks.push(r),
      socketOptions: { reconnectionDelay: 50, reconnectionDelayMax: 100, randomizationFactor: 0 },
      retryDelayMs: () => 50,
      ...extra,
    });
    client.start();
    return client;
  }

  it('sends clientId and connects=0 on the first handshake, subscribes and takes the snapshot', async () => {
    routes = ['38'];
    start();
    await waitFor(() => acks.length === 1, 'subscribe ack');
    expect(server.auths).toEqual([{ clientId: 'page-1', connects: 0 }]);
    expect(server.subscribes).toEqual([['38']]);
    expect(acks).toEqual([{ status: 'ok', routes: ['38'] }]);
    await waitFor(() => store.size === 2, 'route 38 snapshot');
    expect([...store.values()].map((v) => v.id).sort()).toEqual(['b', 'c']);
    // Polling first, then the upgrade — which may even complete before the CONNECT packet, in
    // which case `connect` already reports websocket. Either way the status ends up right.
    await waitFor(() => events.some((e) => e.type === 'upgrade'), 'upgrade');
    expect(events.find((e) => e.type === 'upgrade')).toEqual({ type: 'upgrade', transport: 'websocket' });
    const status = events.reduce((s, e) => reduceStatus(s, e), initialStatus(Date.now()));
    expect(describeStatus(status, { now: Date.now(), fallbackIntervalMs: 30_000, dataGeneratedAt: null }).text).toBe(
      'Live (websocket)',
    );
  });

  it('reports polling while only polling is allowed', async () => {
    start({ socketOptions: { transports: ['polling'] } });
    await waitFor(() => events.some((e) => e.type === 'connect'), 'connect');
    expect(events[0]).toMatchObject({ type: 'connect', transport: 'polling' });
  });

  it('reports the websocket transport when connecting straight over websocket', async () => {
    start({ socketOptions: { transports: ['websocket'] } });
    await waitFor(() => events.some((e) => e.type === 'connect'), 'connect');
    expect(events[0]).toMatchObject({ type: 'connect', transport: 'websocket' });
  });

  it('names the chosen agency in subscribe (none when there is nothing to choose) and reads it back from the ack', async () => {
    let agency: string | null = null;
    server.subscribeReply = (r) => ({ status: 'ok', routes: r, ...(agency ? { agency } : {}) });
    const c = start({ agency: () => agency });
    await waitFor(() => acks.length === 1, 'first subscribe ack');
    agency = 'AC';
    c.subscribe();
    await waitFor(() => acks.length === 2, 'second subscribe ack');
    expect(server.requests).toEqual([{ routes: [] }, { routes: [], agency: 'AC' }]);
    expect(acks).toEqual([{ status: 'ok', routes: [] }, { status: 'ok', routes: [], agency: 'AC' }]);
  });

  it('counts connects across reconnections and re-subscribes each time', async () => {
    routes = ['N'];
    start();
    await waitFor(() => server.subscribes.length === 1, 'first subscribe');
    server.sockets[0]!.conn.close(); // transport drop → the Manager reconnects
    await waitFor(() => server.subscribes.length === 2, 'subscribe after reconnect');
    expect(server.auths).toEqual([
      { clientId: 'page-1', connects: 0 },
      { clientId: 'page-1', connects: 1 },
    ]);
    expect(server.subscribes).toEqual([['N'], ['N']]);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['connect', 'disconnect', 'reconnect_attempt']));
    expect(client!.connectCount).toBe(2);
  });

  it('reconnects by itself after a server-side disconnect', async () => {
    start();
    await waitFor(() => server.subscribes.length === 1, 'first subscribe');
    server.sockets[0]!.disconnect(true);
    await waitFor(() => server.auths.length === 2, 'second handshake');
    expect(server.auths[1]).toEqual({ clientId: 'page-1', connects: 1 });
    expect(events.find((e) => e.type === 'disconnect')).toMatchObject({ reason: 'io server disconnect' });
  });

  it('retries after a middleware rejects the handshake', async () => {
    let rejections = 1;
    server.io.use((_socket, next) => (rejections-- > 0 ? next(new Error('busy')) : next()));
    start();
    await waitFor(() => events.some((e) => e.type === 'connect'), 'connect after rejection');
    const types = events.map((e) => e.type);
    expect(events.find((e) => e.type === 'connect_error')).toEqual({ type: 'connect_error', message: 'busy' });
    expect(types.indexOf('connect_error')).toBeLessThan(types.indexOf('connect'));
  });

  it('applies consecutive deltas', async () => {
    start();
    await waitFor(() => server.subscribes.length === 1 && store.size === 3, 'snapshot');
    server.change([vehicle('a', 'N', 37.8), vehicle('d', 'KT')], ['b']);
    await waitFor(() => store.version === 2, 'delta applied');
    expect([...store.values()].map((v) => v.id).sort()).toEqual(['a', 'c', 'd']);
    expect(store.get('a')?.lat).toBe(37.8);
    expect(client!.resyncs).toBe(0);
  });

  it('re-subscribes for a fresh snapshot when a delta does not follow the held version', async () => {
    routes = ['38'];
    start();
    await waitFor(() => server.subscribes.length === 1 && store.version === 1 && store.size === 2, 'snapshot');
    server.version = 5; // the client missed versions 2..5
    server.change([vehicle('e', '38')], [], 5);
    await waitFor(() => server.subscribes.length === 2, 'resync subscribe');
    expect(server.subscribes[1]).toEqual(['38']);
    await waitFor(() => store.version === 6, 'fresh snapshot');
    expect([...store.values()].map((v) => v.id).sort()).toEqual(['b', 'c', 'e']);
    expect(client!.resyncs).toBe(1);
    // …and carries on with deltas from there.
    server.change([], ['e']);
    await waitFor(() => store.version === 7, 'next delta');
    expect(store.get('e')).toBeUndefined();
  });

  it('passes a rejected subscription on', async () => {
    server.subscribeReply = () => ({ status: 'error', message: 'unknown route X' });
    routes = ['X'];
    start();
    await waitFor(() => acks.length === 1, 'ack');
    expect(acks[0]).toEqual({ status: 'error', message: 'unknown route X' });
  });
});

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { Delta, Snapshot, Vehicle } from '../domain/vehicle.js';
import type { WorkerMetrics } from '../metrics/worker-metrics.js';
import { Broadcaster } from './broadcaster.js';
import type { SocketData } from './events.js';
import { setView } from './socket-view.js';

const v = (id: string, routeId: string, lat = 37.7): Vehicle => ({ id, routeId, lat, lon: -122.4, bearing: null, updatedAt: 1 });
const previous = new Map([v('a', 'N'), v('b', '38'), v('c', 'N')].map((x) => [x.id, x]));
const snapshot: Snapshot = { version: 2, generatedAt: 5, vehicles: [v('a', 'N', 37.8), v('b', '38'), v('c', '38')] };
const delta: Delta = { fromVersion: 1, version: 2, generatedAt: 5, upserts: [v('a', 'N', 37.8), v('c', '38')], removals: [] };

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

/** A real socket.io server with `clients` connected, each with its route set and version. */
async function setup(clients: { routes: string[] | null; version: number }[]) {
  const http = createServer();
  const server = new Server(http);
  let n = 0;
  server.on('connection', (s) => {
    const c = clients[Number(s.handshake.auth.i)]!;
    setView(s.data as SocketData, c.routes ? new Set(c.routes) : null, null);
    (s.data as SocketData).version = c.version;
    n += 1;
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const sockets: ClientSocket[] = clients.map((_, i) => connect(url, { transports: ['websocket'], forceNew: true, auth: { i } }));
  const received = sockets.map(() => [] as [string, unknown][]);
  sockets.forEach((s, i) => s.onAny((event, payload) => received[i]!.push([event, payload])));
  await new Promise<void>((resolve) => {
    const t = setInterval(() => n === clients.length && (clearInterval(t), resolve()), 10);
  });
  cleanup = async () => {
    for (const s of sockets) s.close();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return { server, received };
}

describe('Broadcaster', () => {
  it('one broadcast per group (route set × delta-or-snapshot): filtered deltas for current clients, snapshots for stale ones', async () => {
    const { server, received } = await setup([
      { routes: null, version: 1 },
      { routes: null, version: 1 },
      { routes: ['N'], version: 1 },
      { routes: ['N'], version: 0 },
    ]);
    const adapter = server.of('/').adapter;
    let broadcasts = 0;
    const original = adapter.broadcast.bind(adapter);
    adapter.broadcast = (packet, opts) => {
      broadcasts += 1;
      original(packet, opts);
    };
    const observed: number[] = [];
    new Broadcaster({ broadcastDuration: { observe: (s: number) => observed.push(s) } } as unknown as WorkerMetrics).broadcast(server, { snapshot, delta, previous });
    await new Promise<void>((resolve) => {
      const t = setInterval(() => received.every((r) => r.length === 1) && (clearInterval(t), resolve()), 10);
    });
    // Three groups — all routes/delta, N/delta, N/snapshot — whatever the number of clients.
    expect(broadcasts).toBe(3);
    expect(observed).toHaveLength(1);
    expect(received[0]).toEqual([['vehicles:delta', delta]]);
    expect(received[1]).toEqual([['vehicles:delta', delta]]);
    // Route N only: `c` moved from N to 38, so it is a removal for this client.
    expect(received[2]).toEqual([['vehicles:delta', { ...delta, upserts: [v('a', 'N', 37.8)], removals: ['c'] }]]);
    expect(received[3]).toEqual([['vehicles:snapshot', { ...snapshot, vehicles: [v('a', 'N', 37.8)] }]]);
    for (const s of server.of('/').sockets.values()) expect((s.data as SocketData).version).toBe(2);
  });

  it('one group that is every client goes out as one broadcast without rooms', async () => {
    const { server, received } = await setup([
      { routes: null, version: 1 },
      { routes: null, version: 1 },
      { routes: null, version: 1 },
    ]);
    const adapter = server.of('/').adapter;
    const rooms: number[] = [];
    const original = adapter.broadcast.bind(adapter);
    adapter.broadcast = (packet, opts) => {
      rooms.push(opts.rooms.size);
      original(packet, opts);
    };
    new Broadcaster({ broadcastDuration: { observe: () => undefined } } as unknown as WorkerMetrics).broadcast(server, { snapshot, delta, previous });
    await new Promise<void>((resolve) => {
      const t = setInterval(() => received.every((r) => r.length === 1) && (clearInterval(t), resolve()), 10);
    });
    expect(rooms).toEqual([0]);
    for (const r of received) expect(r).toEqual([['vehicles:delta', delta]]);
  });
});

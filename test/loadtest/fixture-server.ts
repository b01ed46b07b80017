/** A real socket.io server speaking the Transit Tracker protocol, for the load-test library specs. */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type ServerOptions, type Socket } from 'socket.io';

import type { Vehicle as FixtureVehicle } from '../../src/domain/vehicle.ts';

export type { FixtureVehicle };

export const VEHICLES: FixtureVehicle[] = [
  { id: 'v1', routeId: 'N', lat: 37.77, lon: -122.42, bearing: 90, updatedAt: 1_700_000_000_000 },
  { id: 'v2', routeId: '38', lat: 37.78, lon: -122.43, bearing: null, updatedAt: 1_700_000_000_000 },
  { id: 'v3', routeId: '14', lat: 37.76, lon: -122.41, bearing: 180, updatedAt: 1_700_000_000_000 },
];

export interface FixtureOptions {
  /** socket.io server options (default: polling only, pingInterval 300, pingTimeout 1000). */
  io?: Partial<ServerOptions>;
  /** Broadcast a vehicles:delta this often (filtered per subscription); off when unset. */
  deltaEveryMs?: number;
  /** Close the first connection's Engine.IO session after this long (a recycled worker). */
  recycleFirstAfterMs?: number;
  /** A broken server: acks subscribe but keeps sending every route. */
  ignoreSubscriptions?: boolean;
}

export interface Fixture {
  baseUrl: string;
  io: Server;
  http: HttpServer;
  /** handshake.auth of every connection, in order. */
  auths: Record<string, unknown>[];
  /** Disconnect reasons seen by the server, by socket id. */
  disconnects: Map<string, string>;
  sockets: Socket[];
  /** Emits one vehicles:delta to every socket, filtered by its subscription. */
  broadcastDelta(): void;
  close(): Promise<void>;
}

export async function startFixture(opts: FixtureOptions = {}): Promise<Fixture> {
  const auths: Record<string, unknown>[] = [];
  const disconnects = new Map<string, string>();
  const sockets: Socket[] = [];
  let version = 1;
  const http = createServer((req, res) => {
    if (req.url === '/healthz') { res.writeHead(200).end('ok'); return; }
    if (req.url === '/stats') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ auths, disconnects: [...disconnects.values()], version }));
      return;
    }
    res.writeHead(404).end();
  });
  const io = new Server(http, { transports: ['polling'], pingInterval: 300, pingTimeout: 1_000, ...opts.io });
  const broadcastDelta = () => {
    const generatedAt = Date.now();
    const all = VEHICLES.map((v) => ({ ...v, updatedAt: generatedAt }));
    for (const socket of io.sockets.sockets.values()) {
      const routes = socket.data.routes as string[] | undefined;
      const upserts = routes ? all.filter((v) => routes.includes(v.routeId)) : all;
      socket.emit('vehicles:delta', { fromVersion: version, version: version + 1, generatedAt, upserts, removals: [] });
    }
    version++;
  };
  const ticker = opts.deltaEveryMs ? setInterval(broadcastDelta, opts.deltaEveryMs) : undefined;

  io.use((socket, next) => {
    const auth = socket.handshake.auth as Record<string, unknown>;
    if (auth.clientId === 'refused') next(new Error('clientId refused'));
    else next();
  });
  io.on('connection', (socket) => {
    auths.push(socket.handshake.auth as Record<string, unknown>);
    sockets.push(socket);
    if (sockets.length === 1 && opts.recycleFirstAfterMs !== undefined) {
      setTimeout(() => socket.conn.close(), opts.recycleFirstAfterMs);
    }
    socket.on('disconnect', (reason) => disconnects.set(socket.id, reason));
    socket.emit('vehicles:snapshot', { version, generatedAt: Date.now(), vehicles: VEHICLES });
    socket.on('subscribe', (payload: unknown, ack?: (a: unknown) => void) => {
      const routes = (payload as { routes?: unknown })?.routes;
      if (!Array.isArray(routes) || !routes.every((r) => typeof r === 'string')) {
        ack?.({ status: 'error', message: 'routes must be an array of strings' });
        return;
      }
      if (!opts.ignoreSubscriptions) socket.data.routes = routes;
      ack?.({ status: 'ok', routes });
      const upserts = VEHICLES.filter((v) => opts.ignoreSubscriptions || routes.includes(v.routeId)).map((v) => ({ ...v, updatedAt: Date.now() }));
      socket.emit('vehicles:delta', { fromVersion: version, version: version + 1, generatedAt: Date.now(), upserts, removals: [] });
      version++;
    });
  });

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    io,
    http,
    auths,
    disconnects,
    sockets,
    broadcastDelta,
    close: () => new Promise<void>((resolve) => {
      if (ticker) clearInterval(ticker);
      io.close(() => resolve());
    }),
  };
}

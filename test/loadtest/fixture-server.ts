/** A real socket.io server speaking the Transit Tracker protocol, for the load-test library specs. */
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
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
  /**
   * Like Transit Tracker: name the cause of every 400 "Session ID unknown" in `x-transit-session`
   * (`ended` for a sid this fixture issued, `unknown` otherwise). Off: plain socket.io (an older server).
   */
  sessionCauseHeader?: boolean;
  /**
   * End the first connection's session after this long the way Transit Tracker's workers answer a
   * closed session: every later request for its sid gets 400 "Session ID unknown" with
   * `x-transit-session: ended` (implies sessionCauseHeader).
   */
  endFirstAfterMs?: number;
}

export interface Fixture {
  baseUrl: string;
  io: Server;
  http: HttpServer;
  /** handshake.auth of every connection, in order. */
  auths: Record<string, unknown>[];
  /** Disconnect reasons seen by the server, by socket id. */
  disconnects: Map<string, string>;
  /** Every 400 "Session ID unknown" answered, with the cause header it carried ('' = none). */
  sessionUnknown: string[];
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
  const issued = new Set<string>();
  const ended = new Set<string>();
  const sessionUnknown: string[] = [];
  io.engine.on('connection', (conn: { id: string }) => issued.add(conn.id));
  tagSessionUnknown(http, opts.sessionCauseHeader || opts.endFirstAfterMs !== undefined, issued, ended, sessionUnknown);
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
    if (sockets.length === 1 && opts.endFirstAfterMs !== undefined) {
      // The pending poll returns with the next ping; the pong's POST then gets the 400 (ended).
      const sid = (socket.conn as unknown as { id: string }).id;
      setTimeout(() => ended.add(sid), opts.endFirstAfterMs);
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
    sessionUnknown,
    sockets,
    broadcastDelta,
    close: () => new Promise<void>((resolve) => {
      if (ticker) clearInterval(ticker);
      io.close(() => resolve());
    }),
  };
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Wraps the request listeners socket.io installed: answers the `ended` sids itself (400 code 1,
 * `x-transit-session: ended`) and, when `header` is on, tags socket.io's own 400 code 1 answers
 * with `ended` (issued here) or `unknown`. Records every such answer in `log`.
 */
function tagSessionUnknown(http: HttpServer, header: boolean, issued: Set<string>, ended: Set<string>, log: string[]): void {
  const inner = http.listeners('request') as RequestListener[];
  http.removeAllListeners('request');
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const sid = new URL(req.url ?? '/', 'http://fixture').searchParams.get('sid');
    if (sid && ended.has(sid)) {
      req.resume();
      log.push('ended');
      res.writeHead(400, { 'Content-Type': 'application/json', 'x-transit-session': 'ended' });
      res.end(JSON.stringify({ code: 1, message: 'Session ID unknown' }));
      return;
    }
    if (sid) {
      const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
      res.writeHead = ((status: number, ...rest: unknown[]) => {
        if (status === 400) {
          const cause = header ? (issued.has(sid) ? 'ended' : 'unknown') : '';
          if (cause) res.setHeader('x-transit-session', cause);
          log.push(cause);
        }
        return writeHead(status, ...rest);
      }) as ServerResponse['writeHead'];
    }
    for (const l of inner) l.call(http, req, res);
  });
}

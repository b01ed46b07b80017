import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Vehicle } from '../../src/domain/vehicle.js';
import { encodeVehiclePositions } from '../../src/feed/gtfs-rt/gtfs-rt.encode.js';

/** How the fake answers: a valid feed, a 500, 200 with non-protobuf bytes, or never. */
export type FakeUpstreamMode = 'ok' | 'http500' | 'garbage' | 'hang';

/** A running fake GTFS-RT upstream. */
export interface FakeGtfsUpstream {
  /** VehiclePositions URL on 127.0.0.1. */
  url: string;
  /** Requests received so far, whatever their path or outcome. */
  calls: () => number;
  /** Arrival time (Date.now()) of every request, in order. */
  callTimes: () => number[];
  setVehicles(vehicles: Vehicle[]): void;
  setMode(mode: FakeUpstreamMode): void;
  /** Stops listening and drops open connections, including hung requests. */
  close(): Promise<void>;
}

// What a misconfigured proxy really returns with a 200: HTML, not protobuf.
const GARBAGE = Buffer.from('<html><body><h1>502 Bad Gateway</h1></body></html>\n');

/**
 * Starts a real HTTP server on 127.0.0.1 (random port) serving GTFS-RT VehiclePositions,
 * so feed and integration tests exercise real sockets and count every upstream call.
 */
export async function startFakeGtfsUpstream(opts: { vehicles?: Vehicle[] } = {}): Promise<FakeGtfsUpstream> {
  let vehicles = opts.vehicles ?? [];
  let mode: FakeUpstreamMode = 'ok';
  let closing: Promise<void> | undefined;
  const times: number[] = [];
  const sockets = new Set<Socket>();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    times.push(Date.now());
    req.resume();
    respond(res, mode, vehicles);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const port = await listenOnLoopback(server);

  return {
    url: `http://127.0.0.1:${port}/gtfs-rt/vehicle-positions`,
    calls: () => times.length,
    callTimes: () => [...times],
    setVehicles: (next) => void (vehicles = [...next]),
    setMode: (next) => void (mode = next),
    // Idempotent, so a test may close early and still leave cleanup to an afterEach.
    close: () => (closing ??= closeServer(server, sockets)),
  };
}

async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    // Hung requests never finish on their own; close() would wait for them forever.
    for (const socket of sockets) socket.destroy();
  });
}

function respond(res: ServerResponse, mode: FakeUpstreamMode, vehicles: Vehicle[]): void {
  switch (mode) {
    case 'ok': {
      const body = encodeVehiclePositions(vehicles, Date.now());
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': body.byteLength });
      res.end(body);
      return;
    }
    case 'http500':
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('upstream exploded\n');
      return;
    case 'garbage':
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': GARBAGE.byteLength });
      res.end(GARBAGE);
      return;
    case 'hang':
      // Never answer: the client's timeout is what is under test.
      return;
  }
}

/**
 * Moves `count` vehicles of route N a little every `everyMs`, so every poll finds a new
 * snapshot and every viewer gets a delta. Returns the function that stops it.
 */
export function moveVehicles(upstream: FakeGtfsUpstream, everyMs = 50, count = 3): () => void {
  let tick = 0;
  const fleet = (t: number): Vehicle[] =>
    Array.from({ length: count }, (_, i) => ({ id: `v${i}`, routeId: 'N', lat: 37.76 + t * 1e-4, lon: -122.43 + i * 1e-3, bearing: 90, updatedAt: t }));
  const timer = setInterval(() => upstream.setVehicles(fleet(++tick)), everyMs);
  return () => clearInterval(timer);
}

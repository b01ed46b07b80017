import { io, type Socket } from 'socket.io-client';
import type { Delta, Snapshot, Vehicle } from '../../src/domain/vehicle.js';
import { ownerOfSession } from '../../src/shared/session-id.js';

/** A real socket.io-client that keeps the map a browser would: snapshot + deltas applied. */
export interface TrackedClient {
  socket: Socket;
  clientId: string;
  vehicles: Map<string, Vehicle>;
  version: number;
  snapshots: number;
  deltas: number;
  connects: number;
  /** Connection errors the client saw (e.g. the xhr 400s of "Session ID unknown"). */
  errors: string[];
  /** Times (ms) of each disconnect and the following connect. */
  disconnectedAt: number[];
  connectedAt: number[];
  /** Routes seen in every payload received since the last `subscribe`. */
  routesSeen: Set<string>;
  /** The worker that owns the current session, from its id. */
  worker: () => number | null;
  close: () => void;
}

let counter = 0;

/** Connects a polling-only client (like a browser stuck on long-polling) with reconnect auth. */
export function connectClient(base: string, opts: { transports?: ('polling' | 'websocket')[]; reconnectionDelay?: number } = {}): TrackedClient {
  const clientId = `test-${process.pid}-${++counter}`;
  const c: TrackedClient = {
    socket: undefined as unknown as Socket,
    clientId,
    vehicles: new Map(),
    version: 0,
    snapshots: 0,
    deltas: 0,
    connects: 0,
    errors: [],
    disconnectedAt: [],
    connectedAt: [],
    routesSeen: new Set(),
    worker: () => (c.socket.io.engine?.id ? ownerOfSession(c.socket.io.engine.id) : null),
    close: () => c.socket.close(),
  };
  c.socket = io(base, {
    transports: opts.transports ?? ['polling'],
    forceNew: true,
    reconnectionDelay: opts.reconnectionDelay ?? 500,
    reconnectionDelayMax: 2000,
    auth: (cb) => cb({ clientId, connects: c.connects }),
  });
  c.socket.on('connect', () => {
    c.connects += 1;
    c.connectedAt.push(Date.now());
  });
  c.socket.on('disconnect', () => c.disconnectedAt.push(Date.now()));
  c.socket.on('connect_error', (e) => c.errors.push(e.message));
  c.socket.io.on('error', (e) => c.errors.push(String((e as Error).message ?? e)));
  c.socket.on('vehicles:snapshot', (s: Snapshot) => {
    c.snapshots += 1;
    c.vehicles = new Map(s.vehicles.map((v) => [v.id, v]));
    c.version = s.version;
    for (const v of s.vehicles) c.routesSeen.add(v.routeId);
  });
  c.socket.on('vehicles:delta', (d: Delta) => {
    c.deltas += 1;
    if (d.fromVersion !== c.version) c.errors.push(`delta gap: have ${c.version}, delta from ${d.fromVersion}`);
    for (const v of d.upserts) {
      c.vehicles.set(v.id, v);
      c.routesSeen.add(v.routeId);
    }
    for (const id of d.removals) c.vehicles.delete(id);
    c.version = d.version;
  });
  return c;
}

// The specs that connect clients wait on them; the helpers live in wait.ts.
export { sleep, waitFor } from './wait.js';

import type { Delta, Snapshot } from '../domain/vehicle.js';
import type { RouteSet } from '../store/route-filter.js';
import type { SubscribeAck } from './subscribe.schema.js';

/** Events the server emits. */
export interface ServerToClientEvents {
  'vehicles:snapshot': (s: Snapshot) => void;
  'vehicles:delta': (d: Delta) => void;
}

/** Events a client may emit. */
export interface ClientToServerEvents {
  subscribe: (payload: unknown, ack?: (a: SubscribeAck) => void) => void;
}

/** Per-socket state. */
export interface SocketData {
  /** Routes the client subscribed to; null = all. */
  routes: RouteSet;
  /** Version of the last snapshot/delta this client received; 0 = none yet. */
  version: number;
}

import type { RouteSet } from '../store/route-filter.js';
import type { TokenBucket } from './token-bucket.js';

export type { ClientToServerEvents, ServerToClientEvents } from '../protocol/wire.js';

/** Per-socket state. */
export interface SocketData {
  /** Routes the client subscribed to; null = all. */
  routes: RouteSet;
  /**
   * The agency the client watches when the feed serves several (FEED_AGENCIES; default the
   * first): it gets only that agency's vehicles. null with one agency (nothing to filter).
   */
  agency: string | null;
  /** `routeSetKey(routes, agency)`, kept by `setView`: clients with the same key get the same packet. */
  groupKey: string;
  /** Version of the last snapshot/delta this client received; 0 = none yet. */
  version: number;
  /** Client events allowed (see `EVENT_LIMITS`). */
  events: TokenBucket;
  /** Events refused in a row; at `EVENT_LIMITS.disconnectAfter` the client is cut. */
  refusedInARow: number;
  /** A snapshot for this client is queued: later requests in the same turn share it. */
  snapshotPending: boolean;
}

/** Per-socket limits on client events: a map client sends a `subscribe` per route change. */
export const EVENT_LIMITS = Object.freeze({ burst: 10, perSecond: 2, disconnectAfter: 20 });

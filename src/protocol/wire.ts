/**
 * The wire contract between the service and its clients, defined once: the Socket.IO events and
 * their payloads, the `subscribe` request and ack, the handshake auth, the id patterns. Imported
 * by the gateway (server), the browser map (src/web/client) and the k6 library (loadtest/lib),
 * so it holds types and constants only: no Node, DOM, k6 or zod imports (k6 and the browser
 * bundle load it as it is). Validation of what arrives: `guards.ts` (clients) and
 * src/gateway/subscribe.schema.ts (server, built from the patterns here).
 */
import type { Delta, Snapshot } from '../domain/vehicle.js';

export type { Delta, Snapshot, Vehicle } from '../domain/vehicle.js';

export const SNAPSHOT_EVENT = 'vehicles:snapshot';
export const DELTA_EVENT = 'vehicles:delta';
export const SUBSCRIBE_EVENT = 'subscribe';

/** A route id: what `subscribe`'s `routes` and `GET /api/vehicles?routes=` accept. */
export const ROUTE_ID_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;
export const ROUTE_ID_RULE = '1–32 characters of A–Z, a–z, 0–9, _ . -';
/** An agency id (511.org operator ids: `SF`, `AC`, `BA`…). */
export const AGENCY_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
export const AGENCY_RULE = '1–32 characters of A–Z, a–z, 0–9, _ -';
/** Most routes one client may subscribe to at once. */
export const MAX_SUBSCRIBED_ROUTES = 100;

/** The `subscribe` payload: routes (empty = all) and, when the server lists agencies, the one to watch (default the first). */
export interface SubscribeRequest {
  routes: string[];
  agency?: string;
}

/** The ack of `subscribe`; `agency` is the agency watched (absent when the feed has one implicit agency). */
export type SubscribeAck = { status: 'ok'; routes: string[]; agency?: string } | { status: 'error'; message: string };

/** What a client's handshake may send (`socket.handshake.auth`); every field optional for the server. */
export interface HandshakeAuth {
  /** Random per page load. */
  clientId: string;
  /** How many times this page's socket connected before this attempt: 0 first, > 0 = a reconnect. */
  connects: number;
}

/** Events the server emits. */
export interface ServerToClientEvents {
  [SNAPSHOT_EVENT]: (snapshot: Snapshot) => void;
  [DELTA_EVENT]: (delta: Delta) => void;
}

/** Events a client may emit. The server treats the payload as unknown until validated. */
export interface ClientToServerEvents {
  [SUBSCRIBE_EVENT]: (request: SubscribeRequest, ack?: (ack: SubscribeAck) => void) => void;
}

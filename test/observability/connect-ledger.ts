/**
 * A client-side ledger of Socket.IO CONNECT packets, for double-entry checks of
 * `transit_socket_connects_total` / `transit_socket_reconnects_total`.
 *
 * Why the clients' own `connects` counter is not the same quantity: the service counts a
 * connection when a worker *accepts* the CONNECT packet (VehiclesGateway.handleConnection),
 * with `auth.connects > 0` making it a reconnect. The client counts a connect when the
 * CONNECT *answer* reaches it. Over long-polling the answer travels on the session's next
 * GET; when that GET reaches a worker that does not own the session (STICKY=false), it gets
 * 400, the client drops the session and retries with the same `auth.connects` — the service
 * accepted a (re)connect that the client never saw. So Σ(connects − 1) ≤ the metric, and
 * the gap is exactly the (re)connects accepted but never completed.
 *
 * The exact client-side counterpart of the service's count is therefore "CONNECT packets
 * delivered": a long-polling POST is answered 200 only by the session's own Engine.IO
 * server, which hands the payload to Socket.IO before it answers (a POST that reaches any
 * other worker gets 400). This ledger wraps engine.io-client's polling `doWrite` (the POST)
 * and, per POST, records the CONNECT packets it carried and whether it was answered 200.
 */
import { transports } from 'engine.io-client';

export interface ConnectAuth {
  clientId?: string;
  connects?: number;
}

export interface ConnectLedger {
  /** CONNECT packets POSTed (any answer), and those with auth.connects > 0. */
  sent: number;
  sentReconnects: number;
  /** CONNECT packets in POSTs answered 200 (accepted by the session's worker). */
  delivered: number;
  deliveredReconnects: number;
  /** POSTs observed (to prove the hook is on the transport the clients use). */
  posts: number;
  /** Puts engine.io-client's own `doWrite` back. */
  restore: () => void;
}

type DoWrite = (this: unknown, data: unknown, fn: () => void) => void;

/** CONNECT packets (namespace "/") in one Engine.IO long-polling payload, with their auth. */
export function connectPackets(payload: unknown): ConnectAuth[] {
  if (typeof payload !== 'string') return [];
  return payload
    .split('\x1e')
    .filter((p) => p.startsWith('40'))
    .map((p) => {
      try {
        return (p.length > 2 ? JSON.parse(p.slice(2)) : {}) as ConnectAuth;
      } catch {
        return {};
      }
    });
}

const isReconnect = (a: ConnectAuth) => typeof a.connects === 'number' && Number.isInteger(a.connects) && a.connects > 0;

/** Starts recording; call `restore()` when done (the hook is process-wide). */
export function recordConnectPackets(): ConnectLedger {
  const proto = transports.polling.prototype as unknown as { doWrite: DoWrite };
  const own = Object.getOwnPropertyDescriptor(proto, 'doWrite');
  const original = proto.doWrite;
  const ledger: ConnectLedger = {
    sent: 0,
    sentReconnects: 0,
    delivered: 0,
    deliveredReconnects: 0,
    posts: 0,
    restore: () => {
      if (own) Object.defineProperty(proto, 'doWrite', own);
      else delete (proto as { doWrite?: DoWrite }).doWrite;
    },
  };
  proto.doWrite = function (this: unknown, data: unknown, fn: () => void) {
    ledger.posts += 1;
    const connects = connectPackets(data);
    ledger.sent += connects.length;
    ledger.sentReconnects += connects.filter(isReconnect).length;
    // `fn` runs on a 200 answer only (engine.io-client's Request "success").
    return original.call(this, data, () => {
      ledger.delivered += connects.length;
      ledger.deliveredReconnects += connects.filter(isReconnect).length;
      fn();
    });
  };
  return ledger;
}

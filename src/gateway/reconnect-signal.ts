import { randomToken } from '../shared/random-token.js';
import type { ReconnectSignalLabel } from '../metrics/metric-names.js';

/** The `pid`s this service offers: 16 random bytes, base64url. */
const PID = /^[A-Za-z0-9_-]{22}$/;

/**
 * A fresh Socket.IO "private session id" for one connection's CONNECT answer
 * (`{ sid, pid }`). socket.io-client 4.6+ keeps the `pid` of its last connection and sends it
 * back, unasked, in the handshake of every later CONNECT of the same `Socket` (each automatic
 * reconnect, and `socket.connect()` after a disconnect): socket.io's connection-state recovery
 * handshake. A page that loads anew starts without one.
 *
 * This service offers the pid without enabling `connectionStateRecovery` itself: a session's
 * missed packets would be kept by the worker that served it, while the reconnect that follows a
 * recycle or a crash lands on another worker (nothing to recover there); and the option would
 * send every per-socket `emit` (each snapshot) through the adapter's broadcast path and append
 * an offset to every event packet the k6 clients parse. The pid is only ever read as "this client connected before".
 */
export function newPid(): string {
  return randomToken(16);
}

/**
 * Whether a handshake is a reconnect, and which field says so. `pid` (one this service issued)
 * wins; otherwise the page's own `auth.connects` > 0 (the map and the k6 clients send it).
 * Counted once per connection, so the two sources never add up to two.
 */
export function reconnectSignal(auth: unknown): ReconnectSignalLabel | null {
  if (typeof auth !== 'object' || auth === null) return null;
  const { pid, connects } = auth as { pid?: unknown; connects?: unknown };
  if (typeof pid === 'string' && PID.test(pid)) return 'pid';
  if (typeof connects === 'number' && Number.isInteger(connects) && connects > 0) return 'auth_connects';
  return null;
}

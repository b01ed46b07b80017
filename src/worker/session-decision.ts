import type { SessionUnknownCauseLabel } from '../metrics/metric-names.js';
import { foreignInstance, ownerOfSession } from '../shared/session-id.js';

/** Who answers one `/socket.io/` request that reached this worker. */
export type SessionDecision =
  /** Engine.IO, for a session it holds or a new handshake. */
  | { kind: 'engine' }
  /** Engine.IO, which will answer `400 Session ID unknown`; counted with `cause`. */
  | { kind: 'unknown'; cause: SessionUnknownCauseLabel; answer: 'engine' | 'self' }
  /** Another live worker holds the session: relay the request to its loopback port. */
  | { kind: 'forward'; port: number }
  /** Another machine holds the session: `409` + `fly-replay`. */
  | { kind: 'replay'; instance: string }
  /** A handshake on a draining worker: start the session on `port`, or refuse (shutdown). */
  | { kind: 'handshake-elsewhere'; port: number }
  | { kind: 'refuse-stopping' };

/** What one request brings to the decision. */
export interface SessionRequest {
  /** The request's `sid` as Engine.IO reads it; absent or empty for a handshake. */
  sid: string | undefined;
  /** This worker is draining. */
  draining: boolean;
  /** The request came over the loopback forwarding path from a sibling worker. */
  forwarded: boolean;
}

/** What the decision looks up: this worker, its settings and its view of the others (built once per worker). */
export interface SessionLookups {
  me: number;
  instance: string | undefined;
  sticky: boolean;
  hasSession: (sid: string) => boolean;
  /** This worker issued `sid` and has closed it. */
  closedHere: (sid: string) => boolean;
  /** Loopback port of a live worker. */
  portOf: (worker: number) => number | undefined;
  /** Whether `worker` ran here once and has gone. */
  isGone: (worker: number) => boolean;
  acceptingPeer: () => number | undefined;
}

// The answers without a payload, shared: the guard decides on every poll.
const ENGINE: SessionDecision = Object.freeze({ kind: 'engine' });
const REFUSE_STOPPING: SessionDecision = Object.freeze({ kind: 'refuse-stopping' });
const ENDED: SessionDecision = Object.freeze({ kind: 'unknown', cause: 'ended', answer: 'engine' });
const ENDED_SELF: SessionDecision = Object.freeze({ kind: 'unknown', cause: 'ended', answer: 'self' });
const UNKNOWN: SessionDecision = Object.freeze({ kind: 'unknown', cause: 'unknown', answer: 'engine' });
const MISROUTED: SessionDecision = Object.freeze({ kind: 'unknown', cause: 'misrouted', answer: 'engine' });

/**
 * The guard's rule, as the Engine.IO v4 reference server would answer plus our routing:
 * a session held here goes to Engine.IO; one held by a live sibling is forwarded; one that
 * this deployment issued and closed (here, or on a worker that is gone) gets
 * `400 Session ID unknown` with cause `ended`; an id never issued here is `unknown`; one
 * that a live sibling holds but that reached us without stickiness is `misrouted`.
 */
export function decideSession(r: SessionRequest, f: SessionLookups): SessionDecision {
  const sid = r.sid;
  if (!sid) {
    if (!r.draining || r.forwarded || !f.sticky) return ENGINE;
    const port = f.acceptingPeer();
    return port ? { kind: 'handshake-elsewhere', port } : REFUSE_STOPPING;
  }
  if (f.hasSession(sid)) return ENGINE;
  if (f.closedHere(sid)) return ENDED;
  const elsewhere = f.sticky ? foreignInstance(sid, f.instance) : null;
  if (elsewhere) return { kind: 'replay', instance: elsewhere };
  const owner = ownerOfSession(sid);
  if (owner === null || owner === f.me) return UNKNOWN;
  const port = f.portOf(owner);
  if (port) {
    // Without stickiness (or on a forwarded hop that still missed) this is the seed's bug.
    if (!f.sticky || r.forwarded) return MISROUTED;
    return { kind: 'forward', port };
  }
  if (f.isGone(owner)) return ENDED_SELF;
  return UNKNOWN;
}

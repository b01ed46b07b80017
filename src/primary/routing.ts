import type { RequestHead } from './request-line.js';
import { ownerOfSession } from '../shared/session-id.js';

/** Which workers can take what, as the router sees it at one moment. */
export interface RoutingTable {
  /** Ready, non-draining workers: candidates for new sessions, in a stable order. */
  accepting: readonly number[];
  /** Every worker that still runs (including draining ones): owners of live sessions. */
  alive: ReadonlySet<number>;
}

export interface RouteChoice {
  workerId: number;
  /** `owner`: the session's worker; `balance`: a new connection; `orphan`: the owner is gone. */
  reason: 'owner' | 'balance' | 'orphan';
}

/**
 * Chooses the worker for a new TCP connection from its first request. With stickiness a
 * request that carries a session id goes to the worker the id names; everything else is
 * spread round-robin (`turn` rises by one per call) — not least-connections, which sends a
 * burst of simultaneous handshakes to one worker. Returns null when no worker can take it.
 */
export function chooseWorker(head: RequestHead, table: RoutingTable, sticky: boolean, turn: number): RouteChoice | null {
  if (sticky && head.engine && head.sid) {
    const owner = ownerOfSession(head.sid);
    if (owner !== null && table.alive.has(owner)) return { workerId: owner, reason: 'owner' };
    const any = pick(table, turn);
    return any === null ? null : { workerId: any, reason: 'orphan' };
  }
  const any = pick(table, turn);
  return any === null ? null : { workerId: any, reason: 'balance' };
}

function pick(table: RoutingTable, turn: number): number | null {
  if (table.accepting.length > 0) return table.accepting[turn % table.accepting.length]!;
  // Only draining workers left (shutdown): they still answer, and forward nothing.
  const alive = [...table.alive];
  return alive.length > 0 ? alive[turn % alive.length]! : null;
}

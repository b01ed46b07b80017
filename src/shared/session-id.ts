import { randomToken } from './random-token.js';

/**
 * Engine.IO session ids that name their worker: `<worker id, base36>.<120 random bits>`,
 * and, when several instances share a deployment, their instance too:
 * `<instance>~<worker>.<random>`. The router and every worker can tell a session's owner
 * from the id alone, so no table has to be learned after the handshake (the race in
 * @socket.io/sticky).
 */
export function newSessionId(workerId: number, instance?: string): string {
  const local = `${workerId.toString(36)}.${randomToken(15)}`;
  return instance ? `${instance}~${local}` : local;
}

const SID = /^(?:([A-Za-z0-9._-]{1,128})~)?([0-9a-z]{1,7})\.[A-Za-z0-9_-]{20}$/;

/** The worker a session id names, or null for an id not of our making (forged or foreign). */
export function ownerOfSession(sid: string): number | null {
  const m = SID.exec(sid);
  return m ? parseInt(m[2]!, 36) : null;
}

/** The instance a session id names, or null when it names none (single-instance ids). */
export function instanceOfSession(sid: string): string | null {
  return SID.exec(sid)?.[1] ?? null;
}

/**
 * The instance that must answer `sid` when it is not `self`, or null when this instance
 * may. Ids without an instance (or not of our making) are this instance's to judge.
 */
export function foreignInstance(sid: string, self: string | undefined): string | null {
  if (!self) return null;
  const owner = instanceOfSession(sid);
  return owner !== null && owner !== self ? owner : null;
}

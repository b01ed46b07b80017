import { randomBytes } from 'node:crypto';

/**
 * Engine.IO session ids that name their worker: `<worker id, base36>.<120 random bits>`.
 * The router and every worker can tell a session's owner from the id alone, so no table
 * has to be learned after the handshake (the race in @socket.io/sticky).
 */
export function newSessionId(workerId: number): string {
  return `${workerId.toString(36)}.${randomBytes(15).toString('base64url')}`;
}

const SID = /^([0-9a-z]{1,7})\.[A-Za-z0-9_-]{20}$/;

/** The worker a session id names, or null for an id not of our making (forged or foreign). */
export function ownerOfSession(sid: string): number | null {
  const m = SID.exec(sid);
  return m ? parseInt(m[1]!, 36) : null;
}

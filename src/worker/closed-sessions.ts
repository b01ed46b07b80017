import type { LostCause } from '../ipc/messages.js';

/** Why this worker closed a session: a drain cause, or Engine.IO's own close (ping timeout, …). */
export type CloseCause = LostCause | 'session_closed';

/** How long a closed session is remembered (covers a client's in-flight requests). */
export const CLOSED_SESSION_TTL_MS = 60_000;

/**
 * Sessions this worker issued and has closed (by a drain, or by Engine.IO itself after a
 * ping timeout or transport error), so a request that was already on its way gets the
 * close answer — "this session is over, reconnect" — instead of `400 Session ID unknown`,
 * which is the truth only for ids this worker never issued.
 */
export class ClosedSessions {
  private readonly closed = new Map<string, { cause: CloseCause; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Remembers `sid`; the first cause given wins (a drain, then the engine's own close event). */
  add(sid: string, cause: CloseCause): void {
    if (this.closed.has(sid)) return;
    this.closed.set(sid, { cause, at: this.now() });
    this.prune();
  }

  causeOf(sid: string): CloseCause | undefined {
    const entry = this.closed.get(sid);
    if (!entry) return undefined;
    if (this.now() - entry.at > CLOSED_SESSION_TTL_MS) {
      this.closed.delete(sid);
      return undefined;
    }
    return entry.cause;
  }

  private prune(): void {
    const cutoff = this.now() - CLOSED_SESSION_TTL_MS;
    for (const [sid, e] of this.closed) {
      if (e.at >= cutoff) break; // insertion order = time order
      this.closed.delete(sid);
    }
  }
}

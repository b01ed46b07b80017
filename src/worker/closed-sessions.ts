import type { LostCause } from '../ipc/messages.js';

/** Why this worker closed a session: a drain cause, or Engine.IO's own close (ping timeout, …). */
export type CloseCause = LostCause | 'session_closed';

/** How long a closed session is remembered (covers a client's in-flight requests). */
export const CLOSED_SESSION_TTL_MS = 60_000;

/**
 * Sessions this worker issued and has closed (by a drain, or by Engine.IO itself after a
 * ping timeout, a client close, an aborted poll or a parse error). A later request for one
 * gets Engine.IO's `400 Session ID unknown`, as the protocol says, but is counted with cause
 * `ended` — the session existed and ended — rather than `unknown` (never issued here).
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

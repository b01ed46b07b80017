import type { LostCause } from '../ipc/messages.js';

/** How long a session closed by a drain is remembered (covers a client's in-flight POST). */
export const CLOSED_SESSION_TTL_MS = 60_000;

/**
 * Sessions this worker closed on purpose (drain), so a request that was already on its
 * way gets the close answer instead of the protocol's `400 Session ID unknown`.
 */
export class ClosedSessions {
  private readonly closed = new Map<string, { cause: LostCause; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  add(sid: string, cause: LostCause): void {
    this.closed.set(sid, { cause, at: this.now() });
    this.prune();
  }

  causeOf(sid: string): LostCause | undefined {
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

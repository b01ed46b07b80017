import type { LostCause, PrimaryMessage, WorkerEntry } from '../ipc/messages.js';

/** Bound on remembered departed workers; older ones answer like forged ids (400). */
const MAX_GONE = 4096;

/**
 * Every worker's loopback port and state, as last broadcast by the primary, so a worker can
 * forward a request to the session's owner or tell that the owner is gone.
 */
export class WorkerDirectory {
  private workers = new Map<number, WorkerEntry>();
  private gone = new Map<number, LostCause>();
  private turn = 0;

  update(msg: Extract<PrimaryMessage, { t: 'directory' }>): void {
    this.workers = new Map(msg.workers.map((w) => [w.id, w]));
    for (const [id, cause] of Object.entries(msg.gone)) this.gone.set(Number(id), cause);
    while (this.gone.size > MAX_GONE) this.gone.delete(this.gone.keys().next().value!);
  }

  /** The loopback port of a live worker, or undefined. */
  portOf(id: number): number | undefined {
    return this.workers.get(id)?.internalPort;
  }

  /** Why worker `id` went away, if it did. */
  goneCause(id: number): LostCause | undefined {
    return this.gone.get(id);
  }

  /** A worker other than `me` that takes new sessions (round-robin), for a draining worker's handshakes. */
  acceptingPeer(me: number): number | undefined {
    const peers = [...this.workers.values()].filter((w) => !w.draining && w.responsive && w.id !== me);
    if (peers.length === 0) return undefined;
    return peers[this.turn++ % peers.length]!.internalPort;
  }

  size(): number {
    return this.workers.size;
  }
}

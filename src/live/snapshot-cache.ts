import { EventEmitter } from 'node:events';
import type { Delta, Snapshot, Vehicle } from '../domain/vehicle.js';
import type { FeedStatus } from '../poller/feed-status.js';
import { indexById } from '../store/snapshot-diff.js';

/** A new snapshot arrived; `previous` is the vehicle index the delta starts from. */
export interface CacheUpdate {
  snapshot: Snapshot;
  delta?: Delta;
  previous: ReadonlyMap<string, Vehicle>;
}

/**
 * The worker's copy of the primary's newest snapshot and feed status. The gateway and the
 * HTTP API serve from here; nothing in a worker talks to upstream.
 */
export class SnapshotCache extends EventEmitter<{ update: [CacheUpdate] }> {
  private current: Snapshot | undefined;
  private byId: ReadonlyMap<string, Vehicle> = new Map();
  private status: FeedStatus | undefined;

  get snapshot(): Snapshot | undefined {
    return this.current;
  }

  get index(): ReadonlyMap<string, Vehicle> {
    return this.byId;
  }

  get feedStatus(): FeedStatus | undefined {
    return this.status;
  }

  /** Seconds since the newest successful poll (fresh even when the data did not change). */
  ageSeconds(now = Date.now()): number | null {
    const at = Math.max(this.status?.lastSuccessAt ?? 0, this.current?.generatedAt ?? 0);
    return at > 0 ? (now - at) / 1000 : null;
  }

  setStatus(status: FeedStatus): void {
    this.status = status;
  }

  /** Takes a snapshot from the primary; ignores one that is not newer than what it has. */
  apply(snapshot: Snapshot, delta?: Delta): void {
    if (this.current && snapshot.version <= this.current.version) return;
    const previous = this.byId;
    this.current = snapshot;
    this.byId = indexById(snapshot.vehicles);
    this.emit('update', { snapshot, delta, previous });
  }
}

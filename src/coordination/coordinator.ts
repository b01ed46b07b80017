import { EventEmitter } from 'node:events';
import type { Demand } from '../demand/demand.js';
import type { Delta, Snapshot } from '../domain/vehicle.js';
import type { FeedStatus } from '../poller/feed-status.js';

export interface CoordinatorEvents {
  /** This instance became (true) or stopped being (false) the deployment's poller. */
  leadership: [boolean];
  /** Another instance's poller produced data. */
  data: [{ snapshot: Snapshot; delta?: Delta }];
  status: [FeedStatus];
  /** Demand elsewhere in the deployment changed. */
  demand: [];
  /** What `/readyz` should say about coordination changed. */
  state: [CoordinationState];
}

/** What `/readyz` says about coordination (the `coordination` check). */
export interface CoordinationState {
  /** `none`: no REDIS_URL, this instance polls on its own; `redis`: instances share one poller. */
  kind: 'none' | 'redis';
  /**
   * `alone` (no Redis); `leader`: holds the poller lease; `follower`: another instance holds it;
   * `connecting`: no answer from Redis yet; `unreachable`: Redis does not answer, so no lease
   * is possible and no instance polls until it does (clients keep the last snapshot).
   */
  state: 'alone' | 'leader' | 'follower' | 'connecting' | 'unreachable';
  /** Why no lease is possible (the last Redis error), else null. */
  reason: string | null;
  /** Fencing number of the lease this instance holds or last saw; null without Redis. */
  fence: number | null;
}

/**
 * How instances of one deployment agree on demand and on who polls. With one instance
 * (no REDIS_URL) it is {@link LocalCoordinator}: always the poller, demand is local.
 */
export interface Coordinator extends EventEmitter<CoordinatorEvents> {
  readonly kind: 'local' | 'redis';
  readonly instanceId: string;
  /**
   * How far a new poller skips ahead in snapshot versions when it takes over: further than a
   * deposed holder can have gone in polls it could not publish, so versions never collide and
   * nobody ignores the new holder's snapshots as old. 0 for a single instance.
   */
  readonly versionJump: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  isLeader(): boolean;
  /** What `/readyz` says about coordination right now. */
  state(): CoordinationState;
  /** The deployment's demand, given this instance's own. */
  demand(local: Demand): Demand;
  /** This instance's demand changed (publish it soon). */
  localDemandChanged(local: Demand): void;
  /** The leader shares a new snapshot / feed status with the other instances. */
  publishData(snapshot: Snapshot, delta?: Delta): void;
  publishStatus(status: FeedStatus): void;
}

/** A single-instance deployment: nothing to agree on. */
export class LocalCoordinator extends EventEmitter<CoordinatorEvents> implements Coordinator {
  readonly kind = 'local' as const;
  readonly versionJump = 0;
  constructor(readonly instanceId: string) {
    super();
  }
  async start(): Promise<void> {
    this.emit('leadership', true);
  }
  async stop(): Promise<void> {}
  isLeader(): boolean {
    return true;
  }
  state(): CoordinationState {
    return { kind: 'none', state: 'alone', reason: null, fence: null };
  }
  demand(local: Demand): Demand {
    return local;
  }
  localDemandChanged(): void {}
  publishData(): void {}
  publishStatus(): void {}
}

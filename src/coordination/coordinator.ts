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
}

/**
 * How instances of one deployment agree on demand and on who polls. With one instance
 * (no REDIS_URL) it is {@link LocalCoordinator}: always the poller, demand is local.
 */
export interface Coordinator extends EventEmitter<CoordinatorEvents> {
  readonly kind: 'local' | 'redis';
  readonly instanceId: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  isLeader(): boolean;
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
  demand(local: Demand): Demand {
    return local;
  }
  localDemandChanged(): void {}
  publishData(): void {}
  publishStatus(): void {}
}

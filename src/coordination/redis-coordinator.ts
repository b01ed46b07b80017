import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { RedisClientType } from 'redis';
import type { Demand } from '../demand/demand.js';
import type { Delta, Snapshot } from '../domain/vehicle.js';
import type { FeedStatus } from '../poller/feed-status.js';
import { nodeRedis } from '../shared/redis.js';
import { parseCoordinationMessage, type CoordinationMessage } from './coordination-messages.js';
import type { CoordinationState, Coordinator, CoordinatorEvents } from './coordinator.js';
import { FenceFilter } from './fence-filter.js';
import { combineDemand, demandSignature, type InstanceDemand } from './instance-demand.js';
import { LeaseDeadline, type LeaseTiming } from './lease-deadline.js';
import { answerWithin, REDIS_COMMAND_TIMEOUT_MS, redisClientOptions } from './redis-client-options.js';
import { RedisDemandShare } from './redis-demand.js';
import { PUBLISH_FENCED, RELEASE_LEASE, TAKE_LEASE, redisKeys, type RedisKeys } from './redis-scripts.js';
import { SampledWarning } from '../logging/sampled-warning.js';

/** How long the poller lease lasts in Redis without renewal; renewed every {@link SYNC_MS}. */
export const LEASE_MS = 3_000;
/** The holder stops polling this long before its lease could expire (its own monotonic clock). */
export const LEASE_MARGIN_MS = 1_000;
/** How often each instance renews or tries the lease, republishes its demand and reads everyone's. */
export const SYNC_MS = 500;
/** An instance's demand key lives this long after its last refresh. */
export const DEMAND_TTL_MS = 3 * SYNC_MS + 1_000;
/** Repeated warnings (bad messages, Redis errors) are said at most this often per kind. */
const WARN_EVERY_MS = 30_000;

/** Why a message from Redis was not used; the `reason` label of the dropped-messages counter. */
export type DropReason = 'invalid_message' | 'invalid_demand' | 'stale_fence';

export interface RedisCoordinatorOptions {
  url: string;
  prefix: string;
  instanceId: string;
  logger: Logger;
  /** The poller's interval: a new lease holder waits this (less the margin) before polling. */
  pollIntervalMs: number;
  /** Counts a message dropped by validation or fencing. */
  onDropped?: (reason: DropReason) => void;
  /** Monotonic clock (ms). @default performance.now */
  clock?: () => number;
}

/**
 * Several instances (machines) of one deployment behind REDIS_URL: each publishes its viewers
 * (absolute, expiring), they compete for one poller lease, and the holder publishes every
 * snapshot, which each instance forwards to its own workers: upstream is called once per
 * interval for the whole deployment, and only while someone anywhere watches.
 *
 * Redis may fail at any time and this must not: nothing waits for it to connect, commands time
 * out and are not queued, the holder stops polling by its own clock before its lease could
 * expire ({@link LeaseDeadline}), and every message read back is validated and fenced.
 */
export class RedisCoordinator extends EventEmitter<CoordinatorEvents> implements Coordinator {
  readonly kind = 'redis' as const;
  readonly versionJump: number;
  private readonly keys: RedisKeys;
  private readonly client: RedisClientType;
  private readonly sub: RedisClientType;
  /** The lease value: random per boot, so two processes with one INSTANCE_ID never share a lease. */
  private readonly token = randomUUID();
  private readonly lease: LeaseDeadline;
  private readonly fences = new FenceFilter();
  private readonly warnings = new SampledWarning(WARN_EVERY_MS);
  private readonly clock: () => number;
  private readonly demandShare: RedisDemandShare;
  /** Fencing number of our lease (0 = none yet). */
  private fence = 0;
  private polling = false;
  private others: InstanceDemand[] = [];
  private local: Demand = { sockets: 0, fallback: false };
  private lastOthersKey = '';
  private problem: string | null = 'no answer from Redis yet';
  private answered = false;
  private subscribed = false;
  private subscribing: Promise<void> | undefined;
  private syncing = false;
  private stopped = false;
  private syncTimer: NodeJS.Timeout | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private lastState = '';

  constructor(private readonly opts: RedisCoordinatorOptions) {
    super();
    this.keys = redisKeys(opts.prefix);
    this.clock = opts.clock ?? (() => performance.now());
    const timing: LeaseTiming = { leaseMs: LEASE_MS, marginMs: LEASE_MARGIN_MS, takeoverDelayMs: Math.max(0, opts.pollIntervalMs - LEASE_MARGIN_MS) };
    this.lease = new LeaseDeadline(timing, this.clock);
    this.demandShare = new RedisDemandShare(this.keys, opts.instanceId, DEMAND_TTL_MS, () => this.dropped('invalid_demand', 'demand entry of the wrong shape'));
    // A holder cut off from Redis polls (unpublished) at most until its deadline, once per interval.
    this.versionJump = Math.ceil((LEASE_MS - LEASE_MARGIN_MS) / Math.max(1, opts.pollIntervalMs)) + 1;
    this.client = nodeRedis().createClient(redisClientOptions(opts.url)) as RedisClientType;
    this.sub = nodeRedis().createClient(redisClientOptions(opts.url)) as RedisClientType;
    this.client.on('error', (err: Error) => this.redisError('redis_error', err));
    this.sub.on('error', (err: Error) => this.redisError('redis_error_subscriber', err));
    this.client.on('ready', () => void this.seed());
    this.sub.on('ready', () => void this.subscribe());
  }

  get instanceId(): string {
    return this.opts.instanceId;
  }

  /** Starts connecting and syncing, and returns at once: the instance serves with or without Redis. */
  async start(): Promise<void> {
    for (const c of [this.client, this.sub]) void c.connect().catch((err: Error) => this.redisError('redis_error', err));
    this.syncTimer = setInterval(() => void this.sync(), SYNC_MS);
    this.syncTimer.unref();
    void this.sync();
    this.emitState();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.syncTimer);
    clearTimeout(this.leaseTimer);
    this.setPolling(false, 'shutting down');
    if (this.client.isReady) {
      await Promise.allSettled([
        answerWithin(this.client.eval(RELEASE_LEASE, { keys: [this.keys.lease], arguments: [this.token] }), 'the lease release'),
        answerWithin(this.demandShare.remove(this.client), 'the demand removal'),
      ]);
    }
    for (const c of [this.sub, this.client]) {
      // A client still reconnecting has nothing to flush: cut it rather than wait for Redis.
      if (c.isReady) await c.close().catch(() => c.destroy());
      else if (c.isOpen) c.destroy();
    }
  }

  isLeader(): boolean {
    return this.polling;
  }

  state(): CoordinationState {
    const state = !this.answered ? 'connecting' : this.problem ? 'unreachable' : this.lease.valid() ? 'leader' : 'follower';
    return { kind: 'redis', state, reason: this.problem, fence: this.fence || this.fences.highest || null };
  }

  demand(local: Demand): Demand {
    return combineDemand(local, this.instanceId, this.others, Date.now());
  }

  localDemandChanged(local: Demand): void {
    this.local = local;
  }

  publishData(snapshot: Snapshot, delta?: Delta): void {
    this.publish({ t: 'data', from: this.instanceId, fence: this.fence, snapshot, delta }, true);
  }

  publishStatus(status: FeedStatus): void {
    this.publish({ t: 'status', from: this.instanceId, fence: this.fence, status }, false);
  }

  /** Only the holder publishes; Redis refuses it too once the fence names a newer lease. */
  private publish(msg: CoordinationMessage, keep: boolean): void {
    if (!this.polling || !this.client.isReady) return;
    const args = [String(this.fence), JSON.stringify(msg), this.keys.channel, keep ? '1' : '0'];
    answerWithin(this.client.eval(PUBLISH_FENCED, { keys: [this.keys.fence, this.keys.snapshot], arguments: args }), `the publish of a ${msg.t} message`).catch((err: Error) =>
      this.redisError('redis_publish_failed', err),
    );
  }

  /** One round: hold or try the lease, then publish our demand and read everyone's. */
  private async sync(): Promise<void> {
    if (this.syncing || this.stopped) return;
    this.syncing = true;
    try {
      if (!this.client.isReady) throw new Error(this.problem ?? 'not connected to Redis');
      if (!this.subscribed && this.sub.isReady) await this.subscribe();
      await this.holdLease();
      await this.shareDemand();
      this.answered = true;
      this.problem = null;
    } catch (error) {
      this.problem = (error as Error).message || String(error);
    } finally {
      this.syncing = false;
      this.review();
    }
  }

  private async holdLease(): Promise<void> {
    const sentAt = this.clock();
    const floor = Math.max(this.fence, this.fences.highest);
    const take = this.client.eval(TAKE_LEASE, { keys: [this.keys.lease, this.keys.fence], arguments: [this.token, String(LEASE_MS), String(floor)] });
    const fence = Number(await answerWithin(take, 'the lease renewal'));
    if (fence > 0) {
      this.lease.held(sentAt);
      this.fence = fence;
      this.fences.admit(fence);
    } else {
      this.lease.lost();
    }
  }

  private async shareDemand(): Promise<void> {
    const now = Date.now();
    this.others = await answerWithin(this.demandShare.exchange(this.client, this.local, now), 'the demand exchange', 2 * REDIS_COMMAND_TIMEOUT_MS);
    const key = demandSignature(this.others, now);
    if (key !== this.lastOthersKey) {
      this.lastOthersKey = key;
      this.emit('demand');
    }
  }

  /** Polls or stops polling as the local lease clock says, and wakes up when that changes. */
  private review(): void {
    if (this.stopped) return;
    this.setPolling(this.lease.mayPoll(), this.problem ? `Redis does not answer (${this.problem})` : 'lease held by another instance');
    clearTimeout(this.leaseTimer);
    const inMs = this.lease.nextChangeIn();
    if (inMs !== null) {
      // The deadline is kept by this timer, not by the next round, which may hang on Redis.
      this.leaseTimer = setTimeout(() => this.review(), inMs + 1);
      this.leaseTimer.unref();
    }
    this.emitState();
  }

  private setPolling(polling: boolean, why: string): void {
    if (polling === this.polling) return;
    this.polling = polling;
    this.opts.logger.info(
      { event: 'poller_lease', leader: polling, instance: this.instanceId, fence: this.fence, why: polling ? undefined : why },
      polling ? 'this instance now polls upstream for the deployment' : `this instance stopped polling: ${why}`,
    );
    this.emit('leadership', polling);
  }

  private emitState(): void {
    const state = this.state();
    const key = JSON.stringify(state);
    if (key === this.lastState) return;
    this.lastState = key;
    this.emit('state', state);
  }

  private subscribe(): Promise<void> {
    if (this.subscribed || this.stopped) return Promise.resolve();
    // One SUBSCRIBE at a time, even if it outlives its timeout: a second would deliver twice.
    this.subscribing ??= this.sub
      .subscribe(this.keys.channel, (raw) => this.onMessage(raw))
      // node-redis subscribes again by itself after a reconnect.
      .then(() => void (this.subscribed = true))
      .catch((err: Error) => this.redisError('redis_error_subscriber', err))
      .finally(() => (this.subscribing = undefined));
    return answerWithin(this.subscribing, 'the subscription').catch((err: Error) => this.redisError('redis_error_subscriber', err));
  }

  /** After each (re)connect: the newest snapshot, which covers what was published meanwhile. */
  private async seed(): Promise<void> {
    try {
      const raw = await answerWithin(this.client.get(this.keys.snapshot), 'the snapshot read');
      if (raw !== null) this.onMessage(raw);
    } catch (err) {
      this.redisError('redis_error', err as Error);
    }
  }

  private onMessage(raw: string): void {
    const parsed = parseCoordinationMessage(raw);
    if (!parsed.ok) return this.dropped('invalid_message', parsed.problem);
    const msg = parsed.value;
    if (msg.from === this.instanceId && msg.fence === this.fence) return; // our own
    if (!this.fences.admit(msg.fence)) return this.dropped('stale_fence', `fence ${msg.fence} < ${this.fences.highest} (from ${msg.from}, a deposed lease holder)`);
    if (msg.fence > this.fence && this.lease.valid()) {
      // Someone holds a newer lease: ours is gone whatever our clock says.
      this.lease.lost();
      this.review();
    }
    if (msg.t === 'data') this.emit('data', { snapshot: msg.snapshot, delta: msg.delta });
    else this.emit('status', msg.status);
  }

  private dropped(reason: DropReason, problem: string): void {
    this.opts.onDropped?.(reason);
    const suppressed = this.warnings.sample(reason);
    if (suppressed === null) return;
    this.opts.logger.warn(
      { event: 'coordination_message_dropped', reason, problem, suppressed },
      `ignored a message from Redis (${reason}: ${problem}); if it persists, check that every instance sharing REDIS_PREFIX=${this.opts.prefix} runs this version`,
    );
  }

  private redisError(event: string, err: Error): void {
    if (this.stopped) return;
    this.problem = err.message || err.name;
    const suppressed = this.warnings.sample(event);
    if (suppressed === null) return;
    this.opts.logger.warn(
      { event, err: this.problem, suppressed },
      'Redis connection problem; retrying. Clients keep the last snapshot; no instance polls until Redis answers. Check REDIS_URL and that Redis runs',
    );
  }
}

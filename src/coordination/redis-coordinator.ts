import { EventEmitter } from 'node:events';
import { createClient, type RedisClientType } from 'redis';
import type { Logger } from 'pino';
import type { Demand } from '../demand/demand.js';
import type { Delta, Snapshot } from '../domain/vehicle.js';
import type { FeedStatus } from '../poller/feed-status.js';
import type { Coordinator, CoordinatorEvents } from './coordinator.js';
import { combineDemand, demandSignature, parseInstanceDemand, type InstanceDemand } from './instance-demand.js';

/** Redis keys and channel, under one prefix so deployments can share a Redis. */
export function redisKeys(prefix: string) {
  return {
    lease: `${prefix}:poller-lease`,
    demand: `${prefix}:demand`,
    snapshot: `${prefix}:snapshot`,
    channel: `${prefix}:events`,
  };
}

/** How long the poller lease lasts without renewal; renewed every third of it. */
export const LEASE_MS = 3_000;
/** How often each instance republishes its demand and reads everyone else's. */
export const SYNC_MS = 500;
/** An instance's demand entry counts this long after its last refresh. */
export const DEMAND_TTL_MS = 3 * SYNC_MS + 1_000;

// Renew only a lease we still hold: a paused instance must not extend its successor's.
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

type Message = { t: 'data'; from: string; snapshot: Snapshot; delta?: Delta } | { t: 'status'; from: string; status: FeedStatus };

/**
 * Several instances (machines) of one deployment behind REDIS_URL: each publishes its
 * viewers (absolute, expiring), they compete for one poller lease, and the leader publishes
 * every snapshot, which each instance forwards to its own workers. So upstream is called
 * once per interval for the whole deployment, and only while someone anywhere watches.
 */
export class RedisCoordinator extends EventEmitter<CoordinatorEvents> implements Coordinator {
  readonly kind = 'redis' as const;
  private readonly keys: ReturnType<typeof redisKeys>;
  private client: RedisClientType;
  private sub: RedisClientType;
  private leader = false;
  private others: InstanceDemand[] = [];
  private local: Demand = { sockets: 0, fallback: false };
  private timer: NodeJS.Timeout | undefined;
  private lastOthersKey = '';

  constructor(
    private readonly opts: { url: string; prefix: string; instanceId: string; logger: Logger },
  ) {
    super();
    this.keys = redisKeys(opts.prefix);
    this.client = createClient({ url: opts.url });
    this.sub = this.client.duplicate();
    for (const c of [this.client, this.sub]) {
      c.on('error', (err: Error) => opts.logger.warn({ err: err.message, event: 'redis_error' }, 'Redis connection problem; retrying (this instance stops polling while it cannot renew its lease)'));
    }
  }

  get instanceId(): string {
    return this.opts.instanceId;
  }

  async start(): Promise<void> {
    await Promise.all([this.client.connect(), this.sub.connect()]);
    await this.sub.subscribe(this.keys.channel, (raw) => this.onMessage(raw));
    const seed = await this.client.get(this.keys.snapshot);
    if (seed) this.onMessage(seed);
    await this.sync();
    this.timer = setInterval(() => void this.sync(), SYNC_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    try {
      if (this.leader) await this.client.eval(RELEASE, { keys: [this.keys.lease], arguments: [this.instanceId] });
      await this.client.hDel(this.keys.demand, this.instanceId);
    } finally {
      await Promise.allSettled([this.sub.quit(), this.client.quit()]);
    }
  }

  isLeader(): boolean {
    return this.leader;
  }

  demand(local: Demand): Demand {
    return combineDemand(local, this.instanceId, this.others, Date.now());
  }

  localDemandChanged(local: Demand): void {
    this.local = local;
  }

  publishData(snapshot: Snapshot, delta?: Delta): void {
    const msg = JSON.stringify({ t: 'data', from: this.instanceId, snapshot, delta } satisfies Message);
    void this.client.multi().set(this.keys.snapshot, msg).publish(this.keys.channel, msg).exec().catch(() => undefined);
  }

  publishStatus(status: FeedStatus): void {
    void this.client.publish(this.keys.channel, JSON.stringify({ t: 'status', from: this.instanceId, status } satisfies Message)).catch(() => undefined);
  }

  /** One round: publish our demand, read everyone's, hold or try to take the lease. */
  private async sync(): Promise<void> {
    try {
      const now = Date.now();
      const mine: InstanceDemand = {
        instance: this.instanceId,
        sockets: this.local.sockets,
        fallbackUntil: this.local.fallback ? (this.local.fallbackUntil ?? 0) : 0,
        expiresAt: now + DEMAND_TTL_MS,
        ...(this.local.agencies ? { agencies: this.local.agencies } : {}),
      };
      await this.client.hSet(this.keys.demand, this.instanceId, JSON.stringify(mine));
      const all = Object.values(await this.client.hGetAll(this.keys.demand)).map(parseInstanceDemand);
      this.others = all.filter((e): e is InstanceDemand => e !== null && e.instance !== this.instanceId && e.expiresAt > now);
      const key = demandSignature(this.others, now);
      if (key !== this.lastOthersKey) {
        this.lastOthersKey = key;
        this.emit('demand');
      }
      await this.holdLease();
    } catch (error) {
      this.setLeader(false, (error as Error).message);
    }
  }

  private async holdLease(): Promise<void> {
    const { lease } = this.keys;
    if (this.leader) {
      const renewed = await this.client.eval(RENEW, { keys: [lease], arguments: [this.instanceId, String(LEASE_MS)] });
      this.setLeader(renewed === 1, 'lease taken over');
      return;
    }
    const got = await this.client.set(lease, this.instanceId, { condition: 'NX', expiration: { type: 'PX', value: LEASE_MS } });
    this.setLeader(got === 'OK', '');
  }

  private setLeader(leader: boolean, why: string): void {
    if (leader === this.leader) return;
    this.leader = leader;
    this.opts.logger.info({ event: 'poller_lease', leader, instance: this.instanceId, why }, leader ? 'this instance now polls upstream for the deployment' : `this instance stopped polling: ${why || 'lease lost'}`);
    this.emit('leadership', leader);
  }

  private onMessage(raw: string): void {
    let msg: Message;
    try {
      msg = JSON.parse(raw) as Message;
    } catch {
      this.opts.logger.warn({ event: 'redis_bad_message' }, 'ignored a malformed message on the coordination channel');
      return;
    }
    if (msg.from === this.instanceId) return;
    if (msg.t === 'data') this.emit('data', { snapshot: msg.snapshot, delta: msg.delta });
    else if (msg.t === 'status') this.emit('status', msg.status);
  }
}

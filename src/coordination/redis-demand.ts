import type { RedisClientType } from 'redis';
import type { Demand } from '../demand/demand.js';
import { parseInstanceDemand, type InstanceDemand } from './instance-demand.js';
import { SHARE_DEMAND, type RedisKeys } from './redis-scripts.js';

/** Index entries of instances gone this long are forgotten (generous: it only bounds the index). */
const DEMAND_FORGET_MS = 60_000;

/**
 * This instance's viewers in Redis, and everyone else's: one key per instance with an expiry
 * (`<prefix>:demand:<instance>`, PX), listed by a sorted set scored by expiry. A crashed
 * instance's key expires by itself, and a round reads only the instances that may be alive.
 */
export class RedisDemandShare {
  constructor(
    private readonly keys: RedisKeys,
    private readonly instanceId: string,
    private readonly ttlMs: number,
    /** Called for each entry of the wrong shape (it is ignored). */
    private readonly onInvalid: () => void,
  ) {}

  /** Refreshes our key and returns the other instances' live entries. */
  async exchange(client: RedisClientType, local: Demand, now: number): Promise<InstanceDemand[]> {
    const mine: InstanceDemand = {
      instance: this.instanceId,
      sockets: local.sockets,
      fallbackUntil: local.fallback ? (local.fallbackUntil ?? 0) : 0,
      expiresAt: now + this.ttlMs,
      ...(local.agencies ? { agencies: local.agencies } : {}),
    };
    const args = [JSON.stringify(mine), String(this.ttlMs), this.instanceId, String(now), String(DEMAND_FORGET_MS)];
    const ids = (await client.eval(SHARE_DEMAND, { keys: [this.keys.demandIndex, this.keys.demand(this.instanceId)], arguments: args })) as unknown;
    const others = (Array.isArray(ids) ? ids : []).filter((id): id is string => typeof id === 'string' && id !== this.instanceId);
    const raws = others.length > 0 ? await client.mGet(others.map((id) => this.keys.demand(id))) : [];
    const entries: InstanceDemand[] = [];
    for (const raw of raws) {
      if (raw === null) continue; // expired: that instance stopped refreshing
      const entry = parseInstanceDemand(raw);
      if (entry) entries.push(entry);
      else this.onInvalid();
    }
    return entries.filter((e) => e.instance !== this.instanceId && e.expiresAt > now);
  }

  /** Removes our entry (clean stop), so the others stop counting our viewers at once. */
  async remove(client: RedisClientType): Promise<void> {
    await Promise.all([client.del(this.keys.demand(this.instanceId)), client.zRem(this.keys.demandIndex, this.instanceId)]);
  }
}

import { randomUUID } from 'node:crypto';
import type { RedisClientType } from 'redis';
import { nodeRedis } from '../shared/redis.js';
import { BUDGET_WINDOW_MS, type Admission, type CallWindow } from './call-budget.js';

/** A Redis answer slower than this counts as Redis unavailable (the poller then holds back). */
export const REDIS_BUDGET_TIMEOUT_MS = 2_000;

// The sliding log as a sorted set (score = call time in ms), decided atomically so that
// instances sharing the key cannot both take the last slot. Same rule as `admit()`.
const TAKE = `
local now = tonumber(ARGV[1])
local win = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - win)
local used = redis.call('ZCARD', KEYS[1])
if used + cost <= limit then
  for i = 1, cost do redis.call('ZADD', KEYS[1], now, ARGV[5] .. ':' .. i) end
  redis.call('PEXPIRE', KEYS[1], win)
  return {1, now, used + cost}
end
if cost > limit then return {0, now + win, used} end
local k = used + cost - limit
local oldest = redis.call('ZRANGE', KEYS[1], k - 1, k - 1, 'WITHSCORES')
return {0, tonumber(oldest[2]) + win, used}
`;

/**
 * The rolling window shared by every instance behind one REDIS_URL, kept in Redis (so it also
 * survives restarts and leader changes): key `<prefix>:upstream-calls`. Times come from the
 * caller's clock, so instances' clocks should agree within seconds (NTP), which Fly's do.
 */
export class RedisCallWindow implements CallWindow {
  readonly kind = 'redis' as const;
  private readonly client: RedisClientType;
  private readonly key: string;
  private readonly owner = randomUUID();
  private connecting: Promise<unknown> | undefined;
  private seq = 0;

  constructor(
    readonly limit: number,
    opts: { url: string; prefix: string; onError?: (err: Error) => void },
    private readonly windowMs = BUDGET_WINDOW_MS,
  ) {
    this.key = `${opts.prefix}:upstream-calls`;
    this.client = nodeRedis().createClient({ url: opts.url });
    this.client.on('error', (err: Error) => opts.onError?.(err));
  }

  async take(cost: number, now: number): Promise<Admission> {
    this.connecting ??= this.client.connect();
    const run = async () => {
      await this.connecting;
      const member = `${now}:${this.owner}:${++this.seq}`;
      return (await this.client.eval(TAKE, { keys: [this.key], arguments: [String(now), String(this.windowMs), String(this.limit), String(cost), member] })) as number[];
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer the budget check within ${REDIS_BUDGET_TIMEOUT_MS} ms`)), REDIS_BUDGET_TIMEOUT_MS);
      timer.unref();
    });
    try {
      const [granted, retryAt, used] = await Promise.race([run(), timeout]);
      return { granted: granted === 1, retryAt: Number(retryAt), used: Number(used) };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (!this.connecting) return;
    await this.connecting.catch(() => undefined);
    if (this.client.isOpen) await this.client.quit().catch(() => undefined);
  }
}

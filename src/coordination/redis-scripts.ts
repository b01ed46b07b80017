/** Redis keys and channel, under one prefix so deployments can share a Redis. */
export function redisKeys(prefix: string) {
  return {
    /** Value: the holder's random per-boot token; PX = the lease. */
    lease: `${prefix}:poller-lease`,
    /** The fencing counter: INCR on every lease taken. */
    fence: `${prefix}:poller-fence`,
    /** Sorted set of instance ids, scored by when their demand key expires (their clock). */
    demandIndex: `${prefix}:demand-index`,
    /** One key per instance, with an expiry: a crashed instance's viewers vanish by themselves. */
    demand: (instance: string) => `${prefix}:demand:${instance}`,
    snapshot: `${prefix}:snapshot`,
    channel: `${prefix}:events`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;

/**
 * Takes the lease, or keeps it (renewal). KEYS: lease, fence. ARGV: token, lease ms, floor.
 * Returns the fencing number of the lease we hold, or 0 when another instance holds it.
 * A new lease gets INCR of the counter, raised above `floor` (the highest number this instance
 * has seen) in case a Redis without persistence restarted and the counter began again at 1.
 */
export const TAKE_LEASE = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(redis.call('GET', KEYS[2]) or '0')
end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local fence = redis.call('INCR', KEYS[2])
local floor = tonumber(ARGV[3])
if fence <= floor then
  fence = floor + 1
  redis.call('SET', KEYS[2], fence)
end
return fence
`;

/** Gives the lease up if it is still ours. KEYS: lease. ARGV: token. */
export const RELEASE_LEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/**
 * Publishes a message of the lease holder, fenced in Redis too: nothing is written unless the
 * counter still names the publisher's lease. KEYS: fence, snapshot. ARGV: fence, message,
 * channel, "1" to also keep it as the newest snapshot. Returns 1 when published.
 */
export const PUBLISH_FENCED = `
if tonumber(redis.call('GET', KEYS[1]) or '0') ~= tonumber(ARGV[1]) then return 0 end
if ARGV[4] == '1' then redis.call('SET', KEYS[2], ARGV[2]) end
redis.call('PUBLISH', ARGV[3], ARGV[2])
return 1
`;

/**
 * Refreshes this instance's demand key and lists the instances whose keys may still live.
 * KEYS: demand index, own demand key. ARGV: entry, ttl ms, instance id, now ms, forget ms.
 * Index members whose keys expired long ago (`forget`, generous for clock skew) are removed.
 */
export const SHARE_DEMAND = `
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[1], tonumber(ARGV[4]) + tonumber(ARGV[2]), ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[4]) - tonumber(ARGV[5]))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[5]))
return redis.call('ZRANGE', KEYS[1], 0, 999)
`;

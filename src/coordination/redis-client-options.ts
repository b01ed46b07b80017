import type { RedisClientOptions } from 'redis';

/** A command without an answer this long fails (so a paused Redis cannot hang a renewal). */
export const REDIS_COMMAND_TIMEOUT_MS = 500;

/** Thrown by {@link answerWithin} when Redis does not answer in time. */
export class RedisTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`Redis did not answer ${what} within ${ms} ms`);
    this.name = 'RedisTimeoutError';
  }
}

/**
 * Fails `pending` after `ms`. node-redis's own command timeout only covers the wait before a
 * command is written; a Redis that stops answering after reading it (paused, overloaded,
 * half-open connection) would hang the caller, so every coordination command goes through this.
 */
export function answerWithin<T>(pending: Promise<T>, what: string, ms = REDIS_COMMAND_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisTimeoutError(what, ms)), ms);
    timer.unref();
  });
  // A late answer still settles `pending`; nobody waits for it any more.
  pending.catch(() => undefined);
  return Promise.race([pending, late]).finally(() => clearTimeout(timer));
}
/** A TCP connect (or TLS handshake) to Redis gives up after this. */
export const REDIS_CONNECT_TIMEOUT_MS = 2_000;
/** Reconnect attempts back off exponentially from this… */
export const RECONNECT_BASE_MS = 100;
/** …up to this, so a Redis that comes back is found within about two seconds. */
export const RECONNECT_MAX_MS = 2_000;

/**
 * Delay before reconnect attempt `retries` (0-based): exponential, capped, with "equal jitter"
 * (half fixed, half random) so instances that lost Redis together do not return in lockstep.
 * Never gives up: an instance without Redis keeps serving its clients and keeps trying.
 */
export function reconnectDelay(retries: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** Math.min(retries, 20));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * node-redis settings for coordination: commands are refused rather than queued while
 * disconnected (a queued renewal replayed seconds later would be a lie about now), and time
 * out while waiting to be written (see {@link answerWithin} for the wait for the answer).
 */
export function redisClientOptions(url: string): RedisClientOptions {
  return {
    url,
    disableOfflineQueue: true,
    commandsQueueMaxLength: 1_000,
    commandOptions: { timeout: REDIS_COMMAND_TIMEOUT_MS },
    socket: { connectTimeout: REDIS_CONNECT_TIMEOUT_MS, reconnectStrategy: (retries: number) => reconnectDelay(retries) },
  };
}

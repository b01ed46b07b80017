import { describe, expect, it, vi } from 'vitest';
import { answerWithin, RECONNECT_MAX_MS, reconnectDelay, redisClientOptions, RedisTimeoutError } from './redis-client-options.js';

describe('reconnectDelay', () => {
  it('backs off exponentially to a cap, half fixed and half random', () => {
    expect(reconnectDelay(0, () => 0)).toBe(50);
    expect(reconnectDelay(0, () => 1)).toBe(100);
    expect(reconnectDelay(3, () => 0)).toBe(400);
    expect(reconnectDelay(50, () => 0)).toBe(RECONNECT_MAX_MS / 2);
    expect(reconnectDelay(50, () => 1)).toBe(RECONNECT_MAX_MS);
  });
});

describe('redisClientOptions', () => {
  it('times commands out and refuses them while disconnected', () => {
    const o = redisClientOptions('redis://127.0.0.1:1');
    expect(o.disableOfflineQueue).toBe(true);
    expect(o.commandOptions?.timeout).toBeGreaterThan(0);
    const strategy = (o.socket as { reconnectStrategy: (n: number, e: Error) => number }).reconnectStrategy;
    expect(strategy(1000, new Error('x'))).toBeLessThanOrEqual(RECONNECT_MAX_MS);
  });
});

describe('answerWithin', () => {
  it('passes an answer through and fails a hung command after the timeout', async () => {
    vi.useFakeTimers();
    try {
      await expect(answerWithin(Promise.resolve(7), 'x', 500)).resolves.toBe(7);
      const hung = answerWithin(new Promise(() => undefined), 'the lease renewal', 500);
      const settled = expect(hung).rejects.toThrow(new RedisTimeoutError('the lease renewal', 500));
      await vi.advanceTimersByTimeAsync(499);
      await vi.advanceTimersByTimeAsync(1);
      await settled;
    } finally {
      vi.useRealTimers();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { nodeRedis } from './redis.js';

describe('nodeRedis', () => {
  it('loads node-redis on first use and hands out the same module afterwards', () => {
    const first = nodeRedis();
    expect(typeof first.createClient).toBe('function');
    expect(nodeRedis()).toBe(first);
  });
});

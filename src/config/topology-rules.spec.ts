import { describe, expect, it } from 'vitest';
import { uncoordinatedInstance, unsafeTopology } from './topology-rules.js';

describe('unsafeTopology', () => {
  const base = { WEB_CONCURRENCY: 2, TRANSPORTS: ['polling', 'websocket'] as ('polling' | 'websocket')[], STICKY: false, ALLOW_UNSAFE_TOPOLOGY: false };
  it('refuses only several workers + polling + no stickiness, unless allowed', () => {
    expect(unsafeTopology(base)).toMatch(/STICKY=true/);
    expect(unsafeTopology({ ...base, ALLOW_UNSAFE_TOPOLOGY: true })).toBeNull();
    expect(unsafeTopology({ ...base, STICKY: true })).toBeNull();
    expect(unsafeTopology({ ...base, WEB_CONCURRENCY: 1 })).toBeNull();
    expect(unsafeTopology({ ...base, TRANSPORTS: ['websocket'] })).toBeNull();
  });
});

describe('uncoordinatedInstance', () => {
  it('warns only for a machine the platform names without REDIS_URL, and says how to fix it', () => {
    expect(uncoordinatedInstance({ FLY_MACHINE_ID: 'm1', REDIS_URL: undefined })).toMatch(/^FLY_MACHINE_ID=m1 and no REDIS_URL: .*Fix: set REDIS_URL/);
    expect(uncoordinatedInstance({ FLY_MACHINE_ID: 'm1', REDIS_URL: 'redis://127.0.0.1:6379' })).toBeNull();
    expect(uncoordinatedInstance({ FLY_MACHINE_ID: undefined, REDIS_URL: undefined })).toBeNull();
  });
});

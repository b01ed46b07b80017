import { describe, expect, it } from 'vitest';
import { newPid, reconnectSignal } from './reconnect-signal.js';

describe('reconnectSignal', () => {
  it('a pid this service issued says reconnect; auth.connects > 0 only without one', () => {
    const pid = newPid();
    expect(reconnectSignal({ pid })).toBe('pid');
    expect(reconnectSignal({ pid, offset: 'x', clientId: 'a', connects: 4 })).toBe('pid');
    expect(reconnectSignal({ clientId: 'a', connects: 1 })).toBe('auth_connects');
    expect(reconnectSignal({ clientId: 'a', connects: 0 })).toBeNull();
    expect(reconnectSignal({ reconnects: 5 })).toBeNull();
    expect(reconnectSignal({ pid: 'not-ours', connects: 1.5 })).toBeNull();
    expect(reconnectSignal(undefined)).toBeNull();
    expect(new Set(Array.from({ length: 100 }, newPid)).size).toBe(100);
  });
});

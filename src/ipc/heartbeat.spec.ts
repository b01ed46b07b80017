import { describe, expect, it } from 'vitest';
import { beatIntervalMs, MISSED_BEATS_OUT_OF_ROTATION } from './heartbeat.js';

describe('beatIntervalMs', () => {
  it('beats four times per timeout, between 100 ms and 1 s', () => {
    expect(beatIntervalMs(2_000)).toBe(500);
    expect(beatIntervalMs(1_999)).toBe(499);
    expect(beatIntervalMs(30_000)).toBe(1_000);
    expect(beatIntervalMs(200)).toBe(100);
    expect(beatIntervalMs(0)).toBe(100);
  });

  it('leaves room for the missed beats before the timeout at every interval', () => {
    for (const timeout of [400, 1_000, 4_000, 30_000]) {
      expect(beatIntervalMs(timeout) * MISSED_BEATS_OUT_OF_ROTATION).toBeLessThan(timeout);
    }
  });
});

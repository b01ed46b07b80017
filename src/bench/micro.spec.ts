import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bench } from './micro.js';

describe('bench', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('warms up for a fifth of the time, then runs rounds of 16 and reports ops/s and µs/op', () => {
    // A clock that moves 1 ms per reading makes every count exact.
    let clock = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => clock++);
    let calls = 0;
    const r = bench('count', () => calls++, 100);
    // Warm-up: readings 1…19 are before 0 + 20 → 19 calls. Run: start 21, until 121,
    // readings 22…120 → 99 rounds of 16; the elapsed reading is 122 − 21 = 101 ms.
    expect(r).toEqual({ name: 'count', iterations: 99 * 16, opsPerSec: Math.round((1584 / 101) * 1000), meanUs: 63.76 });
    expect(calls).toBe(19 + 1584);
  });
});

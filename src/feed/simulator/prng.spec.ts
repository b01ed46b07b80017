import { describe, it, expect } from 'vitest';
import { hash32, hashUnit, mulberry32 } from './prng.js';

describe('mulberry32', () => {
  it('replays the same sequence for the same seed and a different one for another seed', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const seqA = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(seqA);
    expect(Array.from({ length: 5 }, c)).not.toEqual(seqA);
  });

  it('yields values in [0, 1) spread evenly', () => {
    const rand = mulberry32(7);
    const buckets = new Array<number>(10).fill(0);
    let outside = 0;
    for (let i = 0; i < 20_000; i++) {
      const x = rand();
      if (x < 0 || x >= 1) outside++;
      else buckets[Math.floor(x * 10)]!++;
    }
    expect(outside).toBe(0);
    // 2000 expected per bucket; ±10% is > 7 standard deviations.
    for (const n of buckets) expect(Math.abs(n - 2000)).toBeLessThan(200);
  });
});

describe('hash32', () => {
  it('is stable, unsigned 32-bit and sensitive to every input and their order', () => {
    expect(hash32(1, 2, 3)).toBe(hash32(1, 2, 3));
    expect(hash32(1, 2, 3)).not.toBe(hash32(1, 2, 4));
    expect(hash32(1, 2, 3)).not.toBe(hash32(3, 2, 1));
    for (const v of [hash32(0), hash32(-1), hash32(2 ** 31 - 1, 99)]) {
      expect(Number.isInteger(v) && v >= 0 && v < 2 ** 32).toBe(true);
    }
  });

  it('spreads consecutive inputs (the per-vehicle case) evenly over [0, 1)', () => {
    let low = 0;
    for (let i = 0; i < 10_000; i++) if (hashUnit(1, i) < 0.5) low++;
    expect(Math.abs(low - 5000)).toBeLessThan(300);
  });
});

import { describe, expect, it } from 'vitest';
import { SampledWarning } from './sampled-warning.js';

describe('SampledWarning', () => {
  it('says the first of a kind, then one per period with the count suppressed', () => {
    let t = 0;
    const w = new SampledWarning(1000, () => t);
    expect(w.sample('a')).toBe(0);
    expect(w.sample('a')).toBeNull();
    expect(w.sample('b')).toBe(0);
    t = 500;
    expect(w.sample('a')).toBeNull();
    t = 1000;
    expect(w.sample('a')).toBe(2);
    expect(w.sample('a')).toBeNull();
  });
});

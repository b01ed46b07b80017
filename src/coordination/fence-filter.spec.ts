import { describe, expect, it } from 'vitest';
import { FenceFilter } from './fence-filter.js';

describe('FenceFilter', () => {
  it('admits equal and higher fences and drops lower ones (a deposed holder)', () => {
    const f = new FenceFilter();
    expect(f.highest).toBe(0);
    expect(f.admit(3)).toBe(true);
    expect(f.admit(3)).toBe(true);
    expect(f.admit(2)).toBe(false);
    expect(f.admit(5)).toBe(true);
    expect(f.admit(4)).toBe(false);
    expect(f.admit(3)).toBe(false);
    expect(f.highest).toBe(5);
  });
});

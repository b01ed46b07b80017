import { describe, expect, it } from 'vitest';
import { isSteady } from './steady.ts';

describe('isSteady', () => {
  it('waits while the connect backlog drains, and accepts a flat load', () => {
    expect(isSteady([0.9])).toBe(false);
    expect(isSteady([0.9, 0.5])).toBe(false); // still draining connects
    expect(isSteady([0.9, 0.5, 0.3])).toBe(false);
    expect(isSteady([0.9, 0.5, 0.3, 0.28])).toBe(true); // within 15 %
    expect(isSteady([0.01, 0.025])).toBe(true); // idle: within the 0.02-core floor
    expect(isSteady([0.2, 0.3])).toBe(false); // rising counts as not steady too
  });
});

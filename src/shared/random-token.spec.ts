import { describe, expect, it } from 'vitest';
import { randomToken } from './random-token.js';

describe('randomToken', () => {
  it('gives base64url tokens of the asked size that never repeat across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) seen.add(randomToken(15)); // ~7 refills of the 4 KiB pool
    expect(seen.size).toBe(2_000);
    for (const t of seen) expect(t).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(randomToken(16)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(() => randomToken(5000)).toThrow(RangeError);
  });
});

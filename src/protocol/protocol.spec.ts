import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AGENCY_PATTERN, MAX_SUBSCRIBED_ROUTES, ROUTE_ID_PATTERN } from './wire.js';
import { parseSubscribe } from '../gateway/subscribe.schema.js';
import { parseRoutesQuery } from '../http/etag.js';

const source = (f: string) => readFileSync(new URL(f, import.meta.url), 'utf8');

describe('the wire contract', () => {
  it('loads in k6 and the browser as it is: wire.ts and guards.ts import nothing at run time', () => {
    for (const f of ['./wire.ts', './guards.ts']) {
      const imports = source(f).split('\n').filter((l) => /^\s*(import|export)\b.*\bfrom\s+['"]/.test(l));
      expect(imports.length).toBeGreaterThan(0);
      for (const line of imports) expect(line, `${f}: ${line}`).toMatch(/^\s*(import|export) type\b/);
    }
  });

  it('is the one rule for route ids, agencies and the route limit on every path in', () => {
    expect(ROUTE_ID_PATTERN.test('38R')).toBe(true);
    expect(ROUTE_ID_PATTERN.test('a/b')).toBe(false);
    expect(AGENCY_PATTERN.test('SF')).toBe(true);
    expect(parseSubscribe({ routes: ['a/b'] })).toEqual({ error: 'routes.0: route ids are 1–32 characters of A–Z, a–z, 0–9, _ . -' });
    expect(parseRoutesQuery('a/b')).toEqual({ error: 'route id "a/b" is not 1–32 characters of A–Z, a–z, 0–9, _ . -' });
    const tooMany = Array.from({ length: MAX_SUBSCRIBED_ROUTES + 1 }, (_, i) => `r${i}`);
    expect(parseSubscribe({ routes: tooMany })).toEqual({ error: `routes: at most ${MAX_SUBSCRIBED_ROUTES} routes` });
  });
});

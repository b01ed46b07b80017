import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { securityHeaders, tileOrigin } from './security-headers.js';

const OSM = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png';

/** The policy the hand-written header sent before helmet, character for character (modulo `; ` vs `;`). */
const POLICY_BEFORE_HELMET =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https://tile.openstreetmap.org; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

const directives = (csp: string) => csp.split(';').map((d) => d.trim()).filter(Boolean);

/** Runs the Express middleware on a fake request and returns the headers it set. */
function served(headers: Record<string, string>, trustProxy: boolean, tileUrl = OSM): Record<string, string> {
  const set: Record<string, string> = {};
  const res = { setHeader: (k: string, v: string) => void (set[k.toLowerCase()] = String(v)), removeHeader: (k: string) => void delete set[k.toLowerCase()] };
  let called = 0;
  securityHeaders({ TILE_URL: tileUrl, TRUST_PROXY: trustProxy }).middleware({ headers } as unknown as IncomingMessage, res as unknown as ServerResponse, () => (called += 1));
  expect(called).toBe(1);
  return set;
}

describe('securityHeaders (helmet)', () => {
  it('sends exactly the CSP of before: same directives, same order, nothing added', () => {
    expect(directives(served({}, false)['content-security-policy']!)).toEqual(directives(POLICY_BEFORE_HELMET));
    expect(directives(served({}, false, '')['content-security-policy']!)).toContain("img-src 'self' data:");
  });

  it('keeps the headers of before and adds helmet\'s others', () => {
    expect(served({}, false)).toMatchObject({
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'strict-origin-when-cross-origin',
      'permissions-policy': 'geolocation=(), camera=(), microphone=()',
      'cross-origin-opener-policy': 'same-origin',
      'x-frame-options': 'DENY',
      'cross-origin-resource-policy': 'same-origin',
    });
  });

  it('sends HSTS only when a trusted proxy says the request came over TLS', () => {
    expect(served({ 'x-forwarded-proto': 'https' }, true)['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(served({ 'x-forwarded-proto': 'https' }, false)).not.toHaveProperty('strict-transport-security');
    expect(served({ 'x-forwarded-proto': 'http' }, true)).not.toHaveProperty('strict-transport-security');
    expect(served({}, true)).not.toHaveProperty('strict-transport-security');
  });

  it("gives Engine.IO and the guard OWASP's API set: Express's values for nosniff, framing and CORP, a framing-only CSP, HSTS as Express", () => {
    const sec = securityHeaders({ TILE_URL: OSM, TRUST_PROXY: true });
    const lower = (h: Readonly<Record<string, string>>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
    const page = served({}, true);
    const api = lower(sec.forApiResponse({ headers: {} } as unknown as IncomingMessage));
    expect(api).toEqual({
      'content-security-policy': "frame-ancestors 'none'",
      'x-content-type-options': page['x-content-type-options'],
      'x-frame-options': page['x-frame-options'],
      'cross-origin-resource-policy': page['cross-origin-resource-policy'],
    });
    const tls = { 'x-forwarded-proto': 'https' };
    expect(lower(sec.forApiResponse({ headers: tls } as unknown as IncomingMessage))).toEqual({ ...api, 'strict-transport-security': served(tls, true)['strict-transport-security'] });
    // The page-only ones stay on what Express writes.
    for (const name of ['referrer-policy', 'permissions-policy', 'cross-origin-opener-policy']) {
      expect(page[name], name).toBeDefined();
      expect(api[name], name).toBeUndefined();
    }
  });

  it('derives the tile origin for img-src', () => {
    expect(tileOrigin('https://{s}.tile.example.org/{z}/{x}/{y}.png')).toBe('https://*.tile.example.org');
    expect(tileOrigin('')).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { originAllowed } from './origin.js';

describe('originAllowed', () => {
  it('allows same origin, listed origins, `*`, and requests without Origin', () => {
    expect(originAllowed('https://map.example', 'map.example', [])).toBe(true);
    expect(originAllowed('http://127.0.0.1:8080', '127.0.0.1:8080', [])).toBe(true);
    expect(originAllowed('https://partner.example', 'map.example', ['https://partner.example'])).toBe(true);
    expect(originAllowed('https://anyone.example', 'map.example', ['*'])).toBe(true);
    expect(originAllowed(undefined, 'map.example', [])).toBe(true);
  });

  it('refuses other sites, a port mismatch, and garbage', () => {
    expect(originAllowed('https://evil.example', 'map.example', [])).toBe(false);
    expect(originAllowed('http://127.0.0.1:9999', '127.0.0.1:8080', [])).toBe(false);
    expect(originAllowed('null', 'map.example', [])).toBe(false);
    expect(originAllowed('https://evil.example', undefined, ['https://partner.example'])).toBe(false);
  });
});

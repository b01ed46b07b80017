import { describe, expect, it } from 'vitest';
import { ifNoneMatchHits, parseRoutesQuery, snapshotEtag } from './etag.js';
import { unsafeTopology } from './topology.js';

describe('ETags', () => {
  it('differ per version and per route set, and match lists, weak tags and *', () => {
    const all = snapshotEtag(3, '*');
    const n = snapshotEtag(3, 'N');
    expect(all).not.toBe(n);
    expect(snapshotEtag(4, 'N')).not.toBe(n);
    expect(ifNoneMatchHits(`"x", W/${n}`, n)).toBe(true);
    expect(ifNoneMatchHits('*', n)).toBe(true);
    expect(ifNoneMatchHits(all, n)).toBe(false);
    expect(ifNoneMatchHits(undefined, n)).toBe(false);
  });

  it('parse route queries and reject bad ids with a message', () => {
    expect(parseRoutesQuery(undefined)).toEqual({ routes: null });
    expect(parseRoutesQuery('N, 38')).toEqual({ routes: new Set(['N', '38']) });
    expect(parseRoutesQuery(['N', '38'])).toMatchObject({ error: expect.stringMatching(/once/) });
    expect(parseRoutesQuery('N,<b>')).toMatchObject({ error: expect.stringMatching(/"<b>"/) });
  });
});

describe('unsafeTopology', () => {
  const base = { WEB_CONCURRENCY: 2, TRANSPORTS: ['polling', 'websocket'] as ('polling' | 'websocket')[], STICKY: false, ALLOW_UNSAFE_TOPOLOGY: false };
  it('refuses only several workers + polling + no stickiness, unless allowed', () => {
    expect(unsafeTopology(base)).toMatch(/STICKY=true/);
    expect(unsafeTopology({ ...base, ALLOW_UNSAFE_TOPOLOGY: true })).toBeNull();
    expect(unsafeTopology({ ...base, STICKY: true })).toBeNull();
    expect(unsafeTopology({ ...base, WEB_CONCURRENCY: 1 })).toBeNull();
    expect(unsafeTopology({ ...base, TRANSPORTS: ['websocket'] })).toBeNull();
  });
});

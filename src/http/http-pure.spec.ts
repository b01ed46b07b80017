import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/config.js';
import { ifNoneMatchHits, parseRoutesQuery, snapshotEtag } from './etag.js';
import { topologyReport } from './topology.js';

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

describe('topologyReport (/readyz)', () => {
  it('reports the live worker count and the settings of the process model', () => {
    const c = parseConfig({ WEB_CONCURRENCY: '3', TRANSPORTS: 'websocket', MAX_SESSIONS_PER_WORKER: '500', INSTANCE_ID: 'm1' });
    expect(topologyReport(c, 2)).toMatchObject({ workers: 2, sticky: true, fanout: 'primary-ipc', transports: ['websocket'], maxSessionsPerWorker: 500, coordination: 'none', instance: 'm1' });
    expect(topologyReport(parseConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }), 1)).toMatchObject({ workers: 1, coordination: 'redis' });
    expect(topologyReport(parseConfig({}), 1)).toMatchObject({ coordination: 'none', instance: null });
  });
});

import { describe, expect, it } from 'vitest';
import { FeedError } from '../feed.js';
import { classifyFetchFailure, httpError, redactUrl } from './gtfs-rt.errors.js';

const live = (): AbortSignal => new AbortController().signal;
const aborted = (reason: unknown): AbortSignal => AbortSignal.abort(reason);

describe('redactUrl', () => {
  it('keeps origin and path, drops the query (where API keys live)', () => {
    expect(redactUrl('https://api.example.org/vehicles.pb?api_key=s3cret&agency=SF')).toBe('https://api.example.org/vehicles.pb');
    expect(redactUrl('not a url?api_key=s3cret')).toBe('(invalid URL)');
  });
});

describe('httpError', () => {
  const now = Date.parse('2026-12-03T08:00:00Z');
  it('401 and 403 are unauthorized and point at the key', () => {
    for (const status of [401, 403]) {
      const e = httpError(status, '', 'https://feed/x', null, now);
      expect(e.failure).toBe('unauthorized');
      expect(e.message).toContain('check FEED_API_KEY');
    }
  });

  it('429 is rate_limited with the wait Retry-After asks for, or says there was none', () => {
    const limited = httpError(429, 'Too Many Requests', 'https://feed/x', '120', now);
    expect([limited.failure, limited.retryAfterMs]).toEqual(['rate_limited', 120_000]);
    expect(limited.message).toBe('upstream answered 429 Too Many Requests for GET https://feed/x (Retry-After 120 s)');
    expect(httpError(429, '', 'https://feed/x', null, now).message).toContain('(no Retry-After)');
  });

  it('anything else is http_error with the standard reason when HTTP/2 gave none', () => {
    const e = httpError(503, '', 'https://feed/x', null, now);
    expect([e.failure, e.message]).toEqual(['http_error', 'upstream answered 503 Service Unavailable for GET https://feed/x']);
    expect(httpError(599, '', 'https://feed/x').message).toContain('599 unknown status');
  });
});

describe('classifyFetchFailure', () => {
  const request = { target: 'https://feed/x', timeoutMs: 5_000 };

  it('passes a FeedError through', () => {
    const own = new FeedError('malformed', 'bad protobuf');
    expect(classifyFetchFailure(own, { ...request, timeoutSignal: live() })).toBe(own);
  });

  it('the caller’s abort wins over our deadline; our deadline alone is a timeout', () => {
    const both = { ...request, timeoutSignal: aborted('deadline'), callerSignal: aborted(new Error('shutdown')) };
    expect(classifyFetchFailure(new Error('aborted'), both).message).toBe('GET https://feed/x: request aborted by the caller (shutdown)');
    const ours = classifyFetchFailure(new Error('aborted'), { ...request, timeoutSignal: aborted('deadline') });
    expect([ours.failure, ours.message]).toEqual(['timeout', 'upstream did not answer within 5000 ms (GET https://feed/x)']);
  });

  it('a network failure names the low-level code from the cause chain, credentials masked', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    const e = classifyFetchFailure(new TypeError('fetch failed', { cause: refused }), { ...request, timeoutSignal: live() });
    expect([e.failure, e.message]).toEqual(['network', 'could not reach upstream (GET https://feed/x): fetch failed: connect ECONNREFUSED 127.0.0.1:9']);
    const coded = Object.assign(new Error('getaddrinfo failed'), { code: 'ENOTFOUND' });
    expect(classifyFetchFailure(coded, { ...request, timeoutSignal: live() }).message).toContain('getaddrinfo failed (ENOTFOUND)');
    const leaky = new TypeError('Request cannot be constructed from a URL that includes credentials: http://user:pw@feed/x');
    expect(classifyFetchFailure(leaky, { ...request, timeoutSignal: live() }).message).not.toContain('pw@');
  });
});

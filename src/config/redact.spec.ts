import { describe, expect, it } from 'vitest';
import { redactUrlsInText, redactValue } from './redact.js';

describe('redactValue', () => {
  it('hides URL passwords and credential query values of secret variables only', () => {
    expect(redactValue('REDIS_URL', 'redis://user:pw@host:6379/0')).toBe('redis://user:***@host:6379/0');
    expect(redactValue('FEED_URL', 'https://api.511.org/transit/vehiclepositions?api_key=abc&agency=SF')).toBe(
      'https://api.511.org/transit/vehiclepositions?api_key=***&agency=SF',
    );
    expect(redactValue('FEED_URL', 'https://x.example/?token=t&Key=k')).toBe('https://x.example/?token=***&Key=***');
    expect(redactValue('TILE_URL', 'https://a:b@tiles/')).toBe('https://a:b@tiles/');
  });

  it('hides what may be credentials in a value that is not a URL at all', () => {
    expect(redactValue('REDIS_URL', 'redis://:pw@host:port')).toBe('redis://***@host:port');
    expect(redactValue('FEED_URL', 'not a url?api_key=abc')).toBe('not a url?api_key=***');
  });
});

describe('redactUrlsInText', () => {
  it('masks the credentials of URLs inside a message and leaves the rest', () => {
    const undici = 'fetch failed: Request cannot be constructed from a URL that includes credentials: http://reader:pw0e5f@127.0.0.1:9/feed?agency=SF&api_key=c81d';
    expect(redactUrlsInText(undici)).toBe('fetch failed: Request cannot be constructed from a URL that includes credentials: http://***@127.0.0.1:9/feed?agency=SF&api_key=***');
    expect(redactUrlsInText('connect ECONNREFUSED 127.0.0.1:6379')).toBe('connect ECONNREFUSED 127.0.0.1:6379');
    expect(redactUrlsInText('see https://example.org/a?b=c')).toBe('see https://example.org/a?b=c');
  });
});

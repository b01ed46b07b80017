import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.js';

/** The ConfigError message `env` produces (fails the test if it parses). */
function configErrorText(env: Record<string, string>): string {
  try {
    parseConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('gives the documented defaults and freezes the result', () => {
    const c = parseConfig({});
    expect(c).toMatchObject({
      PORT: 8080,
      FEED: 'simulator',
      POLL_INTERVAL_MS: 15_000,
      DEMAND_GRACE_MS: 30_000,
      WEB_CONCURRENCY: 2,
      STICKY: true,
      TRANSPORTS: ['polling', 'websocket'],
      METRICS_PORT: 9091,
      METRICS_HOST: '127.0.0.1',
      CORS_ORIGINS: [],
    });
    expect(Object.isFrozen(c)).toBe(true);
    expect(c.CONNECT_TIMEOUT_MS).toBe(10_000);
  });

  it('names every bad variable with its value and what is allowed', () => {
    let error: unknown;
    try {
      parseConfig({ PORT: '99999', FEED: 'x', TRANSPORTS: 'polling,carrier-pigeon', STICKY: 'sure' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/PORT="99999": must be ≤ 65535/);
    expect(problems).toMatch(/FEED="x": must be simulator, gtfs-rt or 511/);
    expect(problems).toMatch(/TRANSPORTS.1=\(unset\)|TRANSPORTS/);
    expect(problems).toMatch(/STICKY="sure": must be true or false/);
  });

  it('never prints the credentials of a bad URL-valued variable', () => {
    const text = configErrorText({ REDIS_URL: 'redis://:hunter2@redis:notaport', FEED: 'gtfs-rt', FEED_URL: 'api.example/feed?api_key=sekrit&agency=SF' });
    expect(text).toMatch(/REDIS_URL="redis:\/\/\*\*\*@redis:notaport"/);
    expect(text).toMatch(/FEED_URL="api.example\/feed\?api_key=\*\*\*&agency=\*\*\*"/);
    expect(text).not.toMatch(/hunter2|sekrit/);
  });

  it('names the instance in session ids with REDIS_URL or when the platform names the machine, not otherwise', () => {
    expect(parseConfig({}).SESSION_INSTANCE).toBeUndefined();
    expect(parseConfig({ FLY_MACHINE_ID: 'm1' }).SESSION_INSTANCE).toBe('m1');
    expect(parseConfig({ INSTANCE_ID: 'box-7' }).SESSION_INSTANCE).toBe('box-7');
    expect(parseConfig({ REDIS_URL: 'redis://r:6379' }).SESSION_INSTANCE).toMatch(/-\d+$/);
  });

  it('parses lists and booleans, and treats empty values as unset', () => {
    const c = parseConfig({ CORS_ORIGINS: 'https://a.example, https://b.example', STICKY: '0', PORT: '' });
    expect(c.CORS_ORIGINS).toEqual(['https://a.example', 'https://b.example']);
    expect(c.STICKY).toBe(false);
    expect(c.PORT).toBe(8080);
  });

  it('FEED=511: needs FEED_API_KEY, defaults to SF over SIRI at 60 calls/h, and never prints the key', () => {
    expect(() => parseConfig({ FEED: '511' })).toThrow(/FEED_API_KEY=\(unset\): is required when FEED=511/);
    const c = parseConfig({ FEED: '511', FEED_API_KEY: 'k-123' });
    expect(c).toMatchObject({ FEED_AGENCIES: ['SF'], FEED_FORMAT: 'siri', FEED_BASE_URL: 'https://api.511.org/transit', UPSTREAM_BUDGET_PER_HOUR: 60 });
    expect(Object.isFrozen(c.FEED_AGENCIES)).toBe(true);
    const text = configErrorText({ FEED: '511', FEED_API_KEY: 'sekrit key with spaces', FEED_AGENCIES: 'SF,A C' });
    expect(text).toMatch(/FEED_API_KEY="\*\*\*": must be 1–256 printable characters/);
    expect(text).toMatch(/FEED_AGENCIES/);
    expect(text).not.toMatch(/sekrit/);
  });

  it('UPSTREAM_BUDGET_PER_HOUR: 60 for 511 (also a GTFS-RT URL on api.511.org), unlimited otherwise, 0 = unlimited', () => {
    expect(parseConfig({}).UPSTREAM_BUDGET_PER_HOUR).toBeNull();
    expect(parseConfig({ FEED: 'gtfs-rt', FEED_URL: 'https://api.511.org/transit/vehiclepositions?agency=SF' }).UPSTREAM_BUDGET_PER_HOUR).toBe(60);
    expect(parseConfig({ FEED: 'gtfs-rt', FEED_URL: 'https://feeds.example/vp' }).UPSTREAM_BUDGET_PER_HOUR).toBeNull();
    expect(parseConfig({ FEED: '511', FEED_API_KEY: 'k', UPSTREAM_BUDGET_PER_HOUR: '360' }).UPSTREAM_BUDGET_PER_HOUR).toBe(360);
    expect(parseConfig({ FEED: '511', FEED_API_KEY: 'k', UPSTREAM_BUDGET_PER_HOUR: '0' }).UPSTREAM_BUDGET_PER_HOUR).toBeNull();
    expect(() => parseConfig({ FEED: '511', FEED_API_KEY: 'k', FEED_AGENCIES: 'SF,AC,BA', UPSTREAM_BUDGET_PER_HOUR: '2' })).toThrow(/must be ≥ the number of FEED_AGENCIES \(3\)/);
  });

  it('keeps an empty TILE_URL: a map without tiles', () => {
    expect(parseConfig({ TILE_URL: '' }).TILE_URL).toBe('');
    expect(parseConfig({}).TILE_URL).toMatch(/openstreetmap/);
  });

  it('recycling: off by default; MAX_REQUESTS is the gunicorn name of MAX_SESSIONS_PER_WORKER, and both at once is an error', () => {
    expect(parseConfig({})).toMatchObject({ MAX_SESSIONS_PER_WORKER: 0, MAX_SESSIONS_JITTER: 0, MAX_WORKER_RSS_MB: 0, MIN_WORKER_LIFETIME_MS: 60_000, DRAIN_WINDOW_MS: 10_000 });
    expect(parseConfig({ MAX_REQUESTS: '500', MAX_REQUESTS_JITTER: '50' })).toMatchObject({ MAX_SESSIONS_PER_WORKER: 500, MAX_SESSIONS_JITTER: 50 });
    expect(parseConfig({ MAX_SESSIONS_PER_WORKER: '40000', MAX_SESSIONS_JITTER: '4000' })).toMatchObject({ MAX_SESSIONS_PER_WORKER: 40_000, MAX_SESSIONS_JITTER: 4_000 });
    expect(parseConfig({})).not.toHaveProperty('MAX_REQUESTS');
    expect(configErrorText({ MAX_REQUESTS: '1000', MAX_SESSIONS_PER_WORKER: '40000' })).toMatch(/MAX_REQUESTS: is the gunicorn name of MAX_SESSIONS_PER_WORKER .*set only MAX_SESSIONS_PER_WORKER/);
    expect(configErrorText({ MAX_WORKER_RSS_MB: '32' })).toMatch(/MAX_WORKER_RSS_MB="32": must be 0 \(off\) or ≥ 64/);
    expect(configErrorText({ DRAIN_WINDOW_MS: '-1' })).toMatch(/DRAIN_WINDOW_MS="-1": must be ≥ 0/);
  });
});

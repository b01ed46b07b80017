import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config.js';

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
    expect(problems).toMatch(/FEED="x": must be simulator or gtfs-rt/);
    expect(problems).toMatch(/TRANSPORTS.1=\(unset\)|TRANSPORTS/);
    expect(problems).toMatch(/STICKY="sure": must be true or false/);
  });

  it('never prints the credentials of a bad URL-valued variable', () => {
    let error: unknown;
    try {
      parseConfig({ REDIS_URL: 'redis://:hunter2@redis:notaport', FEED: 'gtfs-rt', FEED_URL: 'api.example/feed?api_key=sekrit&agency=SF' });
    } catch (e) {
      error = e;
    }
    const text = (error as ConfigError).message;
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

  it('keeps an empty TILE_URL: a map without tiles', () => {
    expect(parseConfig({ TILE_URL: '' }).TILE_URL).toBe('');
    expect(parseConfig({}).TILE_URL).toMatch(/openstreetmap/);
  });
});

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/config.js';
import { PrimaryMetrics } from './primary-metrics.js';
import { SETTINGS_INFO_LABELS } from './metric-names.js';

describe('transit_build_info and transit_settings_info', () => {
  it('are 1 with the build and the settings as labels, and never carry a URL or a secret', async () => {
    const config = parseConfig(
      {
        FEED: 'gtfs-rt',
        FEED_URL: 'https://feeds.example.org/vehicles?api_key=SECRET-KEY',
        REDIS_URL: 'redis://:hunter2@redis.internal:6379',
        WEB_CONCURRENCY: '3',
        TRANSPORTS: 'websocket',
      },
      false,
    );
    const m = new PrimaryMetrics(config, { pollerActive: () => false, viewers: () => 0, lastSuccessAt: () => null, startedAt: Date.now(), openConnections: () => 0, handoffsPending: () => 0 });
    const text = await m.registry.metrics();
    const build = /^transit_build_info\{(.*)\} 1$/m.exec(text);
    expect(build?.[1]).toMatch(/^version="\d+\.\d+\.\d+[^"]*",node="v\d+\.\d+\.\d+",commit="([0-9a-f]{12}|unknown)"$/);
    const settings = /^transit_settings_info\{(.*)\} 1$/m.exec(text)![1]!;
    expect(settings).toContain('feed="gtfs-rt"');
    expect(settings).toContain('web_concurrency="3"');
    expect(settings).toContain('transports="websocket"');
    expect(settings).toContain('coordination="redis"');
    expect([...settings.matchAll(/(\w+)="/g)].map((l) => l[1])).toEqual([...SETTINGS_INFO_LABELS]);
    expect(text).not.toMatch(/SECRET-KEY|hunter2|feeds\.example\.org|redis\.internal/);
  });
});

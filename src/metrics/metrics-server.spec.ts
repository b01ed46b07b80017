import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { METRICS_CACHE_MS, MetricsServer } from './metrics-server.js';

describe('MetricsServer.render', () => {
  it('is single-flight and reuses a rendering briefly, so a flood of scrapes costs one IPC round', async () => {
    let collections = 0;
    const server = new MetricsServer(
      {
        collectWorkers: async () => {
          collections += 1;
          await new Promise((r) => setTimeout(r, 50));
          return new Map();
        },
        primaryMetrics: async () => [],
      },
      pino({ level: 'silent' }),
    );
    await Promise.all(Array.from({ length: 100 }, () => server.render()));
    expect(collections).toBe(1);
    await server.render();
    expect(collections).toBe(1);
    await new Promise((r) => setTimeout(r, METRICS_CACHE_MS + 20));
    await server.render();
    expect(collections).toBe(2);
  });

  it('does not reuse a failed rendering', async () => {
    let calls = 0;
    const server = new MetricsServer(
      {
        collectWorkers: async () => {
          calls += 1;
          if (calls === 1) throw new Error('ipc down');
          return new Map();
        },
        primaryMetrics: async () => [],
      },
      pino({ level: 'silent' }),
    );
    await expect(server.render()).rejects.toThrow('ipc down');
    await expect(server.render()).resolves.toMatchObject({ text: expect.any(String) });
  });
});

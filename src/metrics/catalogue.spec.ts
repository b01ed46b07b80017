import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { counter, gauge, histogram, zero } from './catalogue.js';
import { METRIC_DEFINITIONS } from './metric-definitions.js';
import { POLLER_ACTIVE, UPSTREAM_REQUESTS_TOTAL, UPSTREAM_REQUEST_DURATION_SECONDS } from './metric-names.js';

const definition = (name: string) => METRIC_DEFINITIONS.find((d) => d.name === name)!;

describe('metric catalogue', () => {
  it('a counter carries the catalogue’s help and labels, and zero() makes each label value visible', async () => {
    const registry = new Registry();
    const c = counter<'feed' | 'outcome'>(UPSTREAM_REQUESTS_TOTAL, registry);
    zero(c, 'outcome', ['ok', 'timeout']);
    const [json] = await registry.getMetricsAsJSON();
    expect(json).toMatchObject({ name: UPSTREAM_REQUESTS_TOTAL, help: definition(UPSTREAM_REQUESTS_TOTAL).help, type: 'counter' });
    expect(json!.values.map((v) => [v.labels, v.value])).toEqual([
      [{ outcome: 'ok' }, 0],
      [{ outcome: 'timeout' }, 0],
    ]);
    expect(() => c.inc({ worker: '1' } as never)).toThrow(/label/i);
  });

  it('a histogram gets the named buckets, a gauge computes its value at scrape time', async () => {
    const registry = new Registry();
    histogram(UPSTREAM_REQUEST_DURATION_SECONDS, registry).observe({ feed: 'gtfs-rt' }, 0.2);
    let running = 0;
    gauge(POLLER_ACTIVE, registry, (g) => g.set(running));
    running = 1;
    const text = await registry.metrics();
    for (const le of definition(UPSTREAM_REQUEST_DURATION_SECONDS).buckets!) {
      expect(text).toContain(`${UPSTREAM_REQUEST_DURATION_SECONDS}_bucket{le="${le}",feed="gtfs-rt"}`);
    }
    expect(text).toContain(`${POLLER_ACTIVE} 1`);
  });

  it('refuses a name that is not in the catalogue, naming the file to add it to', () => {
    expect(() => counter('transit_nothing_total', new Registry())).toThrow(
      'metric transit_nothing_total is not in METRIC_DEFINITIONS (src/metrics/metric-definitions.ts)',
    );
  });
});

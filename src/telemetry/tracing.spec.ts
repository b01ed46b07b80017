import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedError, type Feed } from '../feed/feed.js';
import { PollController } from '../poller/poll-controller.js';
import { VehicleStore } from '../store/vehicle-store.js';
import { readBuildInfo, gitCommit } from './build-info.js';
import { withoutQuery } from './redact-urls.js';
import { traceUpstreamCall } from './spans.js';
import { serverSpanName, startTracing } from './tracing.js';
import { stopTracing, type Tracing } from './tracing-control.js';

describe('tracing', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;

  beforeAll(() => {
    tracing = startTracing({ serviceName: 'test', role: 'primary', spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  });
  afterAll(async () => tracing.shutdown());

  const pollOnce = async (feed: Feed) => {
    const updates: number[] = [];
    const ctl = new PollController({
      feed,
      store: new VehicleStore(),
      demand: () => ({ sockets: 1, fallback: false }),
      intervalMs: 60_000,
      graceMs: 0,
      onUpdate: (u) => updates.push(u.snapshot.version),
      trace: (run) => traceUpstreamCall(feed.kind, run),
    });
    ctl.demandChanged();
    await new Promise((r) => setTimeout(r, 50));
    ctl.stop();
  };

  it('one poll produces an upstream span with feed, outcome and vehicle count', async () => {
    exporter.reset();
    const vehicles = [1, 2, 3].map((i) => ({ id: `v${i}`, routeId: 'N', lat: 37.7, lon: -122.4, bearing: 0, updatedAt: 1 }));
    await pollOnce({ kind: 'gtfs-rt', fetch: async () => ({ vehicles, fetchedAt: 1 }) });
    const spans = exporter.getFinishedSpans().filter((s) => s.name === 'upstream.poll');
    expect(spans).toHaveLength(1);
    expect(spans[0]!.attributes).toMatchObject({ 'transit.feed': 'gtfs-rt', 'transit.outcome': 'ok', 'transit.vehicles': 3 });
  });

  it('a failed poll records its cause on the span', async () => {
    exporter.reset();
    await pollOnce({ kind: 'gtfs-rt', fetch: async () => Promise.reject(new FeedError('timeout', 'upstream did not answer')) });
    const span = exporter.getFinishedSpans().find((s) => s.name === 'upstream.poll')!;
    expect(span.attributes['transit.outcome']).toBe('timeout');
    expect(span.status.code).toBe(2); // ERROR
    expect(span.events.some((e) => e.name === 'exception')).toBe(true);
  });

  it('an upstream fetch() gets a CLIENT span (undici instrumentation) inside upstream.poll, its query redacted', async () => {
    exporter.reset();
    const server = http.createServer((_req, res) => res.writeHead(200).end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/vehicles?api_key=SECRET`;
    await traceUpstreamCall('gtfs-rt', async () => (await fetch(url)).text());
    await new Promise<void>((r) => server.close(() => r()));
    const poll = exporter.getFinishedSpans().find((s) => s.name === 'upstream.poll')!;
    const client = exporter.getFinishedSpans().find((s) => s.kind === 2 /* CLIENT */)!;
    expect(client, exporter.getFinishedSpans().map((s) => s.name).join(', ')).toBeDefined();
    expect(client.parentSpanContext?.spanId).toBe(poll.spanContext().spanId);
    expect(client.spanContext().traceId).toBe(poll.spanContext().traceId);
    expect(client.attributes['http.response.status_code']).toBe(200);
    expect(JSON.stringify(exporter.getFinishedSpans().map((s) => s.attributes))).not.toContain('SECRET');
  });

  it('names server spans by method and path, one name for every Engine.IO request', () => {
    expect(serverSpanName({ method: 'GET', url: '/socket.io/?EIO=4&transport=polling&sid=1.abc' })).toBe('GET /socket.io/');
    expect(serverSpanName({ method: 'POST', url: '/socket.io/?EIO=4' })).toBe('POST /socket.io/');
    expect(serverSpanName({ method: 'GET', url: '/api/vehicles?routes=N' })).toBe('GET /api/vehicles');
    expect(withoutQuery('https://api.511.org/transit/vehiclepositions?api_key=k&agency=SF')).toBe('https://api.511.org/transit/vehiclepositions?[redacted]');
    expect(withoutQuery('/healthz')).toBe('/healthz');
  });
});

describe('stopTracing', () => {
  it('resolves within its deadline even when the exporter never answers', async () => {
    const hung = { onStart() {}, onEnd() {}, forceFlush: () => new Promise<void>(() => undefined), shutdown: () => new Promise<void>(() => undefined) };
    startTracing({ serviceName: 'test', role: 'worker', spanProcessors: [hung] });
    const t0 = performance.now();
    await stopTracing(100);
    expect(performance.now() - t0).toBeLessThan(1000);
    // Off afterwards: a second stop has nothing to wait for.
    await stopTracing(10_000);
  });
});

describe('build info', () => {
  it('reads the package version, Node.js version and, in a checkout, the commit', () => {
    const info = readBuildInfo();
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.node).toBe(process.version);
    expect(info.commit).toMatch(/^([0-9a-f]{12}|unknown)$/);
    expect(gitCommit('/nonexistent')).toBeNull();
  });
});

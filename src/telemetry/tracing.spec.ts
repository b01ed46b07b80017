import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedError, type Feed } from '../feed/feed.js';
import { PollController } from '../poller/poll-controller.js';
import { VehicleStore } from '../store/vehicle-store.js';
import { traceHttpServer } from './http-spans.js';
import { traceUpstreamCall } from './spans.js';
import { startTracing, type Tracing } from './tracing.js';

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

  it('one HTTP request produces a server span that continues the caller’s trace', async () => {
    exporter.reset();
    const server = http.createServer((_req, res) => res.writeHead(204).end());
    traceHttpServer(server, { 'transit.worker': 7 });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/vehicles?routes=N`, {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    await new Promise<void>((r) => server.close(() => r()));
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(1);
    expect(spans[0]!.name).toBe('GET /api/vehicles');
    expect(spans[0]!.kind).toBe(1); // SERVER
    expect(spans[0]!.spanContext().traceId).toBe(traceId);
    expect(spans[0]!.attributes).toMatchObject({ 'http.response.status_code': 204, 'url.path': '/api/vehicles', 'transit.worker': 7 });
  });
});

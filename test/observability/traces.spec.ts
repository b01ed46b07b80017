import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { connectClient, waitFor, type TrackedClient } from '../support/clients.js';
import { startFakeGtfsUpstream, type FakeGtfsUpstream } from '../support/fake-gtfs-upstream.js';
import { recordFigure } from '../support/figures.js';
import { startTopology, type Topology } from '../support/topology.js';
import { SPAN_KIND, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver.js';

let app: Topology | undefined;
let upstream: FakeGtfsUpstream | undefined;
let receiver: OtlpReceiver | undefined;
let client: TrackedClient | undefined;

afterEach(async () => {
  client?.close();
  await app?.stop();
  await upstream?.close();
  await receiver?.close();
  app = upstream = receiver = client = undefined;
});

const vehicles = [1, 2, 3].map((i) => ({ id: `v${i}`, routeId: 'N', lat: 37.77 + i / 1000, lon: -122.42, bearing: 90, updatedAt: Date.now() }));

describe('traces: OTLP/HTTP to a receiver, flushed at SIGTERM', () => {
  it('server, socket and upstream spans of one polling session arrive, none lost at shutdown, no secret in them', async () => {
    receiver = await startOtlpReceiver();
    upstream = await startFakeGtfsUpstream({ vehicles });
    app = await startTopology(
      {
        WEB_CONCURRENCY: '2',
        FEED: 'gtfs-rt',
        FEED_URL: `${upstream.url}?api_key=SECRET-KEY`,
        POLL_INTERVAL_MS: '700',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      },
      90_000,
    );
    client = connectClient(app.base, { transports: ['polling'] });
    await waitFor(() => client!.snapshots > 0 && upstream!.calls() >= 2, 20_000, 'a snapshot and two upstream polls');
    // Requests whose trace the caller started: their SERVER spans continue it.
    const traceIds = Array.from({ length: 3 }, () => randomBytes(16).toString('hex'));
    for (const t of traceIds) {
      const r = await fetch(`${app.base}/api/vehicles?routes=N`, { headers: { traceparent: `00-${t}-${randomBytes(8).toString('hex')}-01` } });
      expect(r.status).toBe(200);
    }
    // SIGTERM with spans still buffered (they are exported every 5 s): the last polls and requests.
    const sigtermAt = Date.now();
    const code = await app.stop();
    app = undefined;
    expect(code).toBe(0);
    const calls = upstream.calls();

    const spans = receiver.spans;
    const named = (name: string, role?: string) => spans.filter((s) => s.name === name && (!role || s.resource['transit.role'] === role));
    const childOf = (parent: ReceivedSpan) => spans.filter((s) => s.parentSpanId === parent.spanId && s.traceId === parent.traceId);

    // Upstream: one upstream.poll span in the primary per upstream call, none lost at shutdown,
    // each the parent of the fetch's CLIENT span (undici instrumentation).
    const polls = named('upstream.poll', 'primary');
    expect(polls.length).toBe(calls);
    for (const p of polls) {
      expect(p.attributes['transit.feed']).toBe('gtfs-rt');
      const fetches = childOf(p).filter((s) => s.kind === SPAN_KIND.CLIENT);
      expect(fetches, `CLIENT span under upstream.poll ${p.spanId}`).toHaveLength(1);
      expect(fetches[0]!.attributes['http.response.status_code']).toBe(200);
    }
    // Socket: the client's connect, in a worker.
    expect(named('socket.io connect', 'worker').length).toBeGreaterThanOrEqual(1);
    // Server: Engine.IO long-polls, and the three requests, each in its caller's trace.
    expect(spans.some((s) => s.kind === SPAN_KIND.SERVER && s.name === 'GET /socket.io/' && s.resource['transit.role'] === 'worker')).toBe(true);
    expect(spans.some((s) => s.kind === SPAN_KIND.SERVER && s.name === 'POST /socket.io/')).toBe(true);
    const api = named('GET /api/vehicles', 'worker').filter((s) => s.kind === SPAN_KIND.SERVER);
    expect(api.map((s) => s.traceId).sort()).toEqual([...traceIds].sort());
    expect(api.every((s) => typeof s.resource['transit.worker'] === 'number')).toBe(true);
    // The primary's /metrics is not traced; no span carries the API key or a session id.
    expect(spans.some((s) => s.name.includes('/metrics'))).toBe(false);
    expect(receiver.bodies.join('\n')).not.toContain('SECRET-KEY');
    expect(receiver.bodies.join('\n')).not.toMatch(/sid=/);

    const afterSigterm = spans.filter((s) => s.receivedAt >= sigtermAt);
    const byRole = (list: ReceivedSpan[], role: string) => list.filter((s) => s.resource['transit.role'] === role).length;
    recordFigure('traces: one polling session, SIGTERM with spans buffered', {
      spans: spans.length,
      upstreamCalls: calls,
      upstreamPollSpans: polls.length,
      receivedAfterSigterm: afterSigterm.length,
      afterSigtermPrimary: byRole(afterSigterm, 'primary'),
      afterSigtermWorkers: byRole(afterSigterm, 'worker'),
    });
    // The requests right before SIGTERM were still buffered: they left with the shutdown flush.
    expect(api.every((s) => s.receivedAt >= sigtermAt)).toBe(true);
    expect(byRole(afterSigterm, 'primary')).toBeGreaterThan(0);
  }, 120_000);
});

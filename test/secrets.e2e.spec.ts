/**
 * Secrets are never printed or served: the production command started with a distinctive
 * value in every secret variable (FEED_API_KEY, the password of REDIS_URL, FEED_URL's api_key
 * and password, the OTLP endpoint's password and OTEL_EXPORTER_OTLP_HEADERS), malformed and
 * valid, and driven: a subscribe, /readyz, /metrics, /api/vehicles, failing upstream calls
 * against local fakes. Everything it wrote to stdout and stderr, every body and header it
 * served, and every span it exported is searched for the secrets: zero hits.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectClient, sleep, waitFor, type TrackedClient } from './support/clients.js';
import { startFake511Upstream, type Fake511Upstream } from './support/fake-511-upstream.js';
import { startFakeGtfsUpstream, type FakeGtfsUpstream } from './support/fake-gtfs-upstream.js';
import { recordFigure } from './support/figures.js';
import { startRedis, type RedisServer } from './support/redis-server.js';
import { spawnCommand, startTopology, TEST_ENV, type Topology } from './support/topology.js';
import { startOtlpReceiver, type OtlpReceiver } from './observability/otlp-receiver.js';

const SECRET = {
  apiKey: 'sEcReTapikey7f3a9c',
  redisPassword: 'sEcReTredispw41b2',
  feedUrlKey: 'sEcReTfeedurlkeyc81d',
  feedUrlPassword: 'sEcReTfeedurlpw0e5f',
  otelPassword: 'sEcReTotelpw993a',
  otelHeader: 'sEcReTotelheader55c7',
} as const;

const VEHICLES = Array.from({ length: 5 }, (_, i) => ({ id: `bus-${i}`, routeId: 'N', lat: 37.75 + i * 0.001, lon: -122.45, bearing: 90, updatedAt: 1_700_000_000_000 }));

/** Every secret found in `text`, with how often. */
function hits(text: string): Record<string, number> {
  const found: Record<string, number> = {};
  for (const [name, value] of Object.entries(SECRET)) {
    const n = text.split(value).length - 1;
    if (n > 0) found[name] = n;
  }
  return found;
}

let app: Topology | undefined;
let redis: RedisServer | undefined;
let gtfs: FakeGtfsUpstream | undefined;
let five11: Fake511Upstream | undefined;
let otlp: OtlpReceiver | undefined;
let client: TrackedClient | undefined;
afterEach(async () => {
  client?.close();
  await app?.stop();
  await Promise.all([redis?.stop(), gtfs?.close(), five11?.close(), otlp?.close()]);
  app = redis = gtfs = five11 = otlp = client = undefined;
});

/** Makes the Redis on `port` require `password` (AUTH): `CONFIG SET requirepass`. */
function requirePassword(port: number, password: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(`CONFIG SET requirepass ${password}\r\n`));
    s.once('data', (d) => {
      s.destroy();
      if (d.toString().startsWith('+OK')) resolve();
      else reject(new Error(`redis said ${d.toString().trim()}`));
    });
    s.once('error', reject);
  });
}

/** GETs `url` and returns status, headers and body as one text, for the search. */
async function served(url: string): Promise<{ status: number; text: string }> {
  const r = await fetch(url);
  const body = await r.text();
  return { status: r.status, text: `${r.status}\n${[...r.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${body}` };
}

/** A subscribe with its ack, /readyz, /metrics, /api/vehicles and /api/config: everything the service serves, as text. */
async function drive(t: Topology): Promise<string[]> {
  client?.close();
  client = connectClient(t.base);
  await waitFor(() => client!.socket.connected, 10_000, 'client connected');
  const ack = await client.socket.timeout(5_000).emitWithAck('subscribe', { routes: [] });
  const pages = await Promise.all(
    [`${t.base}/readyz`, `${t.base}/healthz`, `${t.base}/api/vehicles`, `${t.base}/api/config`, `http://127.0.0.1:${t.metricsPort}/metrics`].map(served),
  );
  return [JSON.stringify(ack), ...pages.map((p) => p.text)];
}

/** What the topology printed: every JSON line (re-serialised) and everything else on stdout and stderr. */
const printed = (t: Topology) => `${t.logs.map((l) => JSON.stringify(l)).join('\n')}\n${t.stderr()}`;

describe('secrets are never printed or served', () => {
  it('malformed values: the config error names every bad variable and prints none of the secrets', async () => {
    const env = {
      ...TEST_ENV,
      FEED: 'gtfs-rt',
      FEED_URL: `http://reader:${SECRET.feedUrlPassword}@127.0.0.1:99999/feed?api_key=${SECRET.feedUrlKey}`,
      FEED_API_KEY: `${SECRET.apiKey} with spaces`,
      REDIS_URL: `redis://:${SECRET.redisPassword}@127.0.0.1:notaport`,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://otel:${SECRET.otelPassword}@127.0.0.1:bad/`,
      OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer ${SECRET.otelHeader}`,
    };
    const proc = spawnCommand({ ...process.env, ...env });
    let out = '';
    proc.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
    proc.stderr!.setEncoding('utf8').on('data', (c: string) => (out += c));
    const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
    recordFigure('secrets: malformed config', { exitCode: code, printedBytes: out.length, hits: hits(out) });
    expect(code).toBe(78);
    for (const name of ['FEED_URL', 'FEED_API_KEY', 'REDIS_URL', 'OTEL_EXPORTER_OTLP_ENDPOINT']) expect(out).toContain(`${name}=`);
    expect(hits(out)).toEqual({});
  });

  it('gtfs-rt with an api_key in FEED_URL, Redis with a password, traces with a password and headers: nothing printed, served or exported', async () => {
    [redis, gtfs, otlp] = await Promise.all([startRedis(), startFakeGtfsUpstream({ vehicles: VEHICLES }), startOtlpReceiver()]);
    const redisPort = Number(new URL(redis.url).port);
    await requirePassword(redisPort, SECRET.redisPassword);
    gtfs.setMode('http500');
    const otlpUrl = new URL(otlp.url);
    app = await startTopology({
      WEB_CONCURRENCY: '2',
      FEED: 'gtfs-rt',
      FEED_URL: `${gtfs.url}?api_key=${SECRET.feedUrlKey}`,
      FEED_API_KEY: SECRET.apiKey,
      REDIS_URL: `redis://:${SECRET.redisPassword}@127.0.0.1:${redisPort}`,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://otel:${SECRET.otelPassword}@${otlpUrl.host}`,
      OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer ${SECRET.otelHeader}`,
      POLL_INTERVAL_MS: '200',
    });
    const failing = await drive(app);
    await waitFor(() => app!.logs.some((l) => l.event === 'upstream_failure'), 10_000, 'a failed upstream call logged');
    gtfs.setMode('ok');
    await waitFor(() => client!.snapshots >= 1, 10_000, 'a snapshot once upstream answers');
    const working = await drive(app);
    const calls = gtfs.calls();
    await app.stop(); // flushes the spans
    const spans = otlp.bodies.join('\n');
    const all = `${printed(app)}\n${failing.join('\n')}\n${working.join('\n')}\n${spans}`;
    recordFigure('secrets: gtfs-rt + redis + otlp', { upstreamCalls: calls, printedLines: app.logs.length, servedBytes: [...failing, ...working].join('').length, spanBatches: otlp.bodies.length, hits: hits(all) });
    expect(calls).toBeGreaterThan(0);
    // The secrets were in use: Redis took the password (no connection errors), the receiver got spans.
    expect(app.logs.filter((l) => l.event === 'redis_error')).toEqual([]);
    expect(otlp.spans.length).toBeGreaterThan(0);
    expect(hits(all)).toEqual({});
  });

  it('511.org with FEED_API_KEY, an upstream that fails and then answers, and a FEED_URL the fetch refuses: nothing printed or served', async () => {
    five11 = await startFake511Upstream({ apiKey: SECRET.apiKey });
    five11.setMode('http500');
    app = await startTopology({
      WEB_CONCURRENCY: '2',
      FEED: '511',
      FEED_API_KEY: SECRET.apiKey,
      FEED_BASE_URL: five11.baseUrl,
      UPSTREAM_BUDGET_PER_HOUR: '3600',
      POLL_INTERVAL_MS: '200',
    });
    const failing = await drive(app);
    await waitFor(() => app!.logs.some((l) => l.event === 'upstream_failure'), 10_000, 'a failed upstream call logged');
    five11.setMode('ok');
    const working = await drive(app);
    const keys = new Set(five11.calls().map((c) => c.apiKey));
    const first = `${printed(app)}\n${failing.join('\n')}\n${working.join('\n')}`;
    await app.stop();

    // A FEED_URL with a password: fetch() refuses URLs with credentials, and its error names the URL.
    app = await startTopology({ FEED: 'gtfs-rt', FEED_URL: `http://reader:${SECRET.feedUrlPassword}@127.0.0.1:9/feed?api_key=${SECRET.feedUrlKey}`, POLL_INTERVAL_MS: '200', WEB_CONCURRENCY: '1' });
    const refused = await drive(app);
    await waitFor(() => app!.logs.some((l) => l.event === 'upstream_failure'), 10_000, 'the refused upstream call logged');
    await sleep(300);
    const failure = app.logs.find((l) => l.event === 'upstream_failure');
    const second = `${printed(app)}\n${refused.join('\n')}`;
    recordFigure('secrets: 511 + FEED_URL with credentials', { apiKeysSentUpstream: keys.size, failure: failure?.err, hits: hits(first + second) });
    expect([...keys]).toEqual([SECRET.apiKey]);
    expect(String(failure?.err)).toMatch(/credentials/);
    expect(hits(first)).toEqual({});
    expect(hits(second)).toEqual({});
  });
});

/**
 * The pre-deploy harness's pure parts: options, environment precedence, attribution of lost
 * sessions, percentiles, series, the Prometheus text parser, the HAProxy config and the charts.
 */
import { describe, expect, it } from 'vitest';
import { attribute, percentile, recycleRecords, summarizeLosses } from '../../scripts/predeploy/analysis.ts';
import { haproxyConfig } from '../../scripts/predeploy/haproxy.ts';
import { DEFAULTS, UsageError, parseDuration, parseMix, parseOptions } from '../../scripts/predeploy/options.ts';
import { HARNESS_OVERRIDES, childEnv, loadProduction, resolveCommand, serviceSettings } from '../../scripts/predeploy/production.ts';
import { progressText } from '../../scripts/predeploy/progress.ts';
import { parsePromText, pointFrom, sumOf } from '../../scripts/predeploy/scraper.ts';
import { buildSeries, windowFor } from '../../scripts/predeploy/series.ts';
import type { WorkerInfo } from '../../scripts/predeploy/service.ts';
import { kindsFor, workerOfSid, type Disconnect } from '../../scripts/predeploy/soak-clients.ts';
import { plan } from '../../scripts/predeploy/soak.ts';
import { lineChart, niceCeil } from '../../scripts/predeploy/svg-chart.ts';

describe('options', () => {
  it('parses durations, mixes and flags; flags win over PREDEPLOY_* variables', () => {
    expect(parseDuration('60s')).toBe(60_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('90')).toBe(90_000);
    expect(() => parseDuration('soon')).toThrow(UsageError);
    expect(parseMix('polling=0.7,websocket=0.3')).toEqual({ polling: 0.7, websocket: 0.3 });
    expect(parseMix('polling=1,websocket=1')).toEqual({ polling: 0.5, websocket: 0.5 });
    const o = parseOptions(
      ['--duration', '45s', '--clients=12', '--proxy', 'haproxy', '--proxy-timeout-ms', '5000', '--eio3-clients', '2', '--no-kill', '--churn', '--json', 'x.json'],
      { PREDEPLOY_CLIENTS: '99', PREDEPLOY_RECYCLES: '1' },
    );
    expect(o).toMatchObject({ durationMs: 45_000, clients: 12, proxy: 'haproxy', proxyTimeoutMs: 5_000, proxyTunnelTimeoutMs: 5_000, eio3Clients: 2, kill: false, recycles: 1, churnPerMin: DEFAULTS.churnPerMin, jsonPath: 'x.json' });
    expect(() => parseOptions(['--bogus'])).toThrow(/unknown option/);
    expect(() => parseOptions(['--proxy', 'nginx'])).toThrow(/none or haproxy/);
    expect(() => parseOptions(['--duration', '3s'])).toThrow(/at least 10s/);
  });
});

describe('production command and environment', () => {
  const prod = loadProduction();
  it('production values, then the caller’s settings, then loopback on ephemeral ports', () => {
    const e = childEnv(prod, { PATH: '/bin', STICKY: 'false', ALLOW_UNSAFE_TOPOLOGY: 'true', PORT: '1234', NODE_ENV: 'test', WEB_CONCURRENCY: prod.env.WEB_CONCURRENCY }, ['STICKY', 'ALLOW_UNSAFE_TOPOLOGY', 'PORT', 'WEB_CONCURRENCY']);
    expect(e.callerOverrides).toEqual({ STICKY: 'false', ALLOW_UNSAFE_TOPOLOGY: 'true' });
    expect(e.env).toMatchObject({ PATH: '/bin', STICKY: 'false', NODE_ENV: 'production', MAX_REQUESTS: prod.env.MAX_REQUESTS, ...HARNESS_OVERRIDES });
    expect(serviceSettings(e.settings)).toMatchObject({ sticky: false, allowUnsafe: true, workers: Number(prod.env.WEB_CONCURRENCY) });
    expect(resolveCommand(['node', 'dist/main.js'], '/opt/node24')).toEqual({ file: '/opt/node24', args: ['dist/main.js'] });
  });
});

describe('analysis', () => {
  const workers = new Map<number, WorkerInfo>([
    [1, { id: 1, readyAt: 0, recycleAt: 10_000, drainAt: 12_000, exitAt: 13_000, exitCause: 'worker_recycled', drainSessions: 3 }],
    [2, { id: 2, readyAt: 0, exitAt: 20_000, exitCause: 'worker_died' }],
    [3, { id: 3, readyAt: 12_000 }],
  ]);
  const d = (o: Partial<Disconnect>): Disconnect => ({ client: 0, at: 0, reason: 'transport close', detail: '', worker: 1, transport: 'polling', backAt: null, endedAt: null, ...o });
  it('attributes losses to the recycle or kill of their worker, collateral to the event, 400s to routing', () => {
    const a = attribute(
      [
        d({ at: 12_010, backAt: 13_000 }),
        d({ at: 13_100, worker: 3, reason: 'transport error', detail: '502', backAt: 14_000 }),
        d({ at: 20_005, worker: 2, backAt: 21_000 }),
        d({ at: 20_100, worker: 3, detail: '502', backAt: 21_000 }),
        d({ at: 30_000, worker: 3, backAt: 40_000 }),
        d({ at: 12_050, worker: 1, reason: 'transport error', detail: '400' }),
      ],
      workers,
      { worker: 2, at: 20_000, victims: 1 },
    );
    expect(a.map((x) => [x.cause, x.collateral])).toEqual([
      ['recycle', false], ['recycle', true], ['kill', false], ['kill', true], ['other', false], ['other', false],
    ]);
    const r = summarizeLosses(a, 'recycle', 50_000, 5_000);
    expect(r).toMatchObject({ count: 2, notBack: 0, collateral: 1, unclean: 1, maxBackMs: 990 });
    const o = summarizeLosses(a, 'other', 50_000, 5_000);
    expect(o).toMatchObject({ count: 2, notBack: 2 }); // 10 s to come back, and never
    // A page closed (reloaded) 1 s after its loss is not judged; at the end of the run neither.
    expect(summarizeLosses(attribute([d({ at: 12_010, endedAt: 13_010 })], workers), 'recycle', 50_000, 5_000)).toMatchObject({ notBack: 0, pending: 1 });
    expect(summarizeLosses(attribute([d({ at: 12_010 })], workers), 'recycle', 14_000, 5_000)).toMatchObject({ notBack: 0, pending: 1 });
  });
  it('recycle records with lifetime and whether the harness triggered them', () => {
    expect(recycleRecords(workers, [{ from: 9_000, to: 11_000 }])).toEqual([
      { worker: 1, at: 10_000, drainAt: 12_000, exitAt: 13_000, lifetimeMs: 10_000, sessions: 3, triggered: true },
    ]);
    expect(recycleRecords(workers, [])[0]!.triggered).toBe(false);
  });
  it('percentiles by nearest rank', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 95)).toBe(95);
    expect(percentile([7], 99)).toBe(7);
  });
  it('session ids name their worker; kinds follow the mix', () => {
    expect(workerOfSid('a.AAAAAAAAAAAAAAAAAAAA')).toBe(10);
    expect(workerOfSid('forged')).toBeNull();
    const k = kindsFor(10, 0.7);
    expect(k.filter((x) => x === 'polling')).toHaveLength(7);
    expect(kindsFor(3, 0)).toEqual(['websocket', 'websocket', 'websocket']);
  });
  it('plans recycles and the kill evenly, the kill in the middle, all before 85 % of the run', () => {
    expect(plan(2, true).map((p) => p.what)).toEqual(['recycle', 'kill', 'recycle']);
    expect(Math.max(...plan(3, true).map((p) => p.at))).toBeLessThan(0.85);
    expect(plan(0, false)).toEqual([]);
  });
});

describe('metrics, series, charts, HAProxy config, progress', () => {
  const text = [
    '# HELP transit_polling_requests_total x',
    'transit_polling_requests_total{method="GET",status="200"} 90',
    'transit_polling_requests_total{method="POST",status="400"} 10',
    'transit_socket_connections{transport="polling"} 7',
    'transit_socket_connections{transport="websocket"} 3',
    'transit_upstream_requests_total{feed="simulator",outcome="ok"} 4',
    'transit_engine_connection_errors_total{code="1",message="Session ID unknown"} 10',
    'nodejs_heap_size_used_bytes{worker="primary"} 1.5e+7',
  ].join('\n');
  it('parses the Prometheus text format and sums series', () => {
    const s = parsePromText(text);
    expect(sumOf(s, 'transit_polling_requests_total')).toBe(100);
    expect(sumOf(s, 'nodejs_heap_size_used_bytes')).toBe(15_000_000);
    expect(pointFrom(s, 5)).toMatchObject({ t: 5, pollingRequests: 100, polling400: 10, connectionsPolling: 7, connectionsWebsocket: 3, upstreamCalls: 4, sessionUnknownErrors: 10 });
  });
  it('builds windows of 400 rate, latency and connections', () => {
    const t0 = 1_000_000;
    const series = buildSeries({
      t0,
      durationMs: 4_000,
      windowMs: 2_000,
      buckets: [{ polls: 10, byStatus: { '200': 9, '400': 1 }, byClass: {} }, { polls: 10, byStatus: { '200': 10 }, byClass: {} }, { polls: 5, byStatus: { '200': 5 }, byClass: {} }],
      latencies: [{ at: t0 + 500, ms: 100 }, { at: t0 + 2_500, ms: 300 }],
      reconnectTimes: [t0 + 2_100],
      connected: [{ t: 1_000, n: 8 }, { t: 3_000, n: 9 }],
      points: [pointFrom(parsePromText(text), 1_000)],
    });
    expect(series).toHaveLength(2);
    expect(series[0]).toMatchObject({ t: 2, polls: 20, bad400: 1, rate400Pct: 5, latencyP50: 100, connectedClients: 8, reconnectsClient: 0, reconnectsServer: 0 });
    expect(series[1]).toMatchObject({ t: 4, polls: 5, bad400: 0, latencyP95: 300, connectedClients: 9, reconnectsClient: 1 });
    expect(windowFor(60_000)).toBe(2_000);
    expect(windowFor(300_000)).toBe(3_000);
  });
  it('draws self-contained SVG with gaps, markers and escaped text', () => {
    expect(niceCeil(0.07)).toBe(0.1);
    expect(niceCeil(130)).toBe(200);
    const svg = lineChart({ title: 'a < b', unit: 'ms', xMax: 10, series: [{ name: 's', color: '#000', points: [[0, 1], [1, null], [2, 3], [3, 4]] }], markers: [{ x: 5, label: 'kill', color: 'red' }] });
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain('a &lt; b');
    expect(svg.match(/<polyline/g)).toHaveLength(1); // the gap splits off a 1-point segment
    expect(svg).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
  });
  it('HAProxy gets the timeouts under test', () => {
    const cfg = haproxyConfig(8000, 9000, { clientMs: 5_000, serverMs: 6_000, tunnelMs: 7_000 });
    expect(cfg).toMatch(/timeout client 5000ms/);
    expect(cfg).toMatch(/timeout server 6000ms/);
    expect(cfg).toMatch(/timeout tunnel 7000ms/);
    expect(cfg).toMatch(/bind 127\.0\.0\.1:8000/);
    expect(cfg).toMatch(/server app1 127\.0\.0\.1:9000/);
  });
  it('progress line', () => {
    const line = progressText({ elapsedMs: 30_000, durationMs: 60_000, connected: 29, live: 30, polls: 1234, bad400: 0, reconnects: 5, recycles: 1, kills: 1, latencyP95: 120, phase: '' });
    expect(line).toMatch(/^\[#{12}\.{12}\]  50% 30\/60 s  clients 29\/30  polls 1234  400s 0/);
  });
});

/**
 * The pre-deploy harness's pure parts: options, environment precedence, attribution of lost
 * sessions, percentiles, series, the Prometheus text parser, the HAProxy config and the charts.
 */
import { describe, expect, it } from 'vitest';
import { KILL_CUT_WINDOW, attribute, percentile, recycleRecords, splitLostAtKill, summarizeLosses } from '../../scripts/predeploy/analysis.ts';
import { hangDeadlineMs, parseRawResponse, sessionUnknownCause } from '../../scripts/predeploy/counting-proxy.ts';
import { haproxyConfig } from '../../scripts/predeploy/haproxy.ts';
import { DEFAULTS, UsageError, parseDuration, parseMix, parseOptions } from '../../scripts/predeploy/options.ts';
import { HARNESS_OVERRIDES, childEnv, loadProduction, resolveCommand, serviceSettings } from '../../scripts/predeploy/production.ts';
import { progressText } from '../../scripts/predeploy/progress.ts';
import { parsePromText, pointFrom, sumOf } from '../../scripts/predeploy/scraper.ts';
import { buildSeries, windowFor } from '../../scripts/predeploy/series.ts';
import { eventOf, type WorkerInfo } from '../../scripts/predeploy/service.ts';
import { handshakeStats, kindsFor, workerOfSid, type Disconnect } from '../../scripts/predeploy/soak-clients.ts';
import { completeResponse } from '../../scripts/predeploy/split-probe.ts';
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
    expect(e.env).toMatchObject({ PATH: '/bin', STICKY: 'false', NODE_ENV: 'production', MAX_SESSIONS_PER_WORKER: prod.env.MAX_SESSIONS_PER_WORKER, ...HARNESS_OVERRIDES });
    expect(serviceSettings(e.settings)).toMatchObject({ sticky: false, allowUnsafe: true, workers: Number(prod.env.WEB_CONCURRENCY) });
    expect(resolveCommand(['node', 'dist/main.js'], '/opt/node24')).toEqual({ file: '/opt/node24', args: ['dist/main.js'] });
  });
});

describe('the process starter reads log lines by their event', () => {
  it('takes the structured event, never the message text', () => {
    expect(eventOf({ event: 'listening', port: 1 })).toBe('listening');
    expect(eventOf({ event: 'worker_exit', msg: 'worker ready' })).toBe('worker_exit');
    expect(eventOf({ event: 'worker_ready', msg: 'worker ready', worker: 2 })).toBe('worker_ready');
    expect(eventOf({ msg: 'worker ready', worker: 2 })).toBeUndefined();
    expect(eventOf({ msg: 'worker did not drain within DRAIN_WINDOW_MS=500 + GRACEFUL_TIMEOUT_MS=30000; killing it', cause: 'worker_recycled' })).toBeUndefined();
    expect(eventOf({ event: 42 })).toBeUndefined();
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
  it('a 400 the service labelled `ended` is attributed like the close packet it replaces; misrouted ones stay routing', () => {
    const causes = new Map([['s-ended', 'ended'], ['s-misrouted', 'misrouted']]);
    const a = attribute(
      [
        d({ at: 12_010, reason: 'transport error', detail: '400', sid: 's-ended', backAt: 12_500 }),
        d({ at: 12_020, reason: 'transport error', detail: '400', sid: 's-misrouted', backAt: 12_500 }),
        d({ at: 20_010, worker: 2, reason: 'transport error', detail: '400', sid: 's-ended', backAt: 20_500 }),
        d({ at: 12_030, reason: 'transport error', detail: '400', sid: 's-unseen', backAt: 12_500 }),
      ],
      workers,
      { worker: 2, at: 20_000, victims: 1 },
      causes,
    );
    expect(a.map((x) => [x.cause, x.detail, x.endedAnswer ?? false])).toEqual([
      ['recycle', '400 ended', true], ['other', '400', false], ['kill', '400 ended', true], ['other', '400', false],
    ]);
    // As clean as a close packet: not counted as an unclean recycle loss.
    expect(summarizeLosses(a, 'recycle', 50_000, 5_000)).toMatchObject({ count: 1, unclean: 0, byReason: { 'transport error (400 ended)': 1 } });
    // Without the proxy's map (or the header), every 400 is routing's.
    expect(attribute([d({ at: 12_010, detail: '400', sid: 's-ended' })], workers).map((x) => x.cause)).toEqual(['other']);
  });
  it('requests cut at the planned kill are its doing; hangs and cuts elsewhere are not', () => {
    const kill = { at: 100_000 };
    const l = (at: number, kind: 'hung' | 'closed') => ({ at, kind });
    const { cutAtKill, rest } = splitLostAtKill([l(99_900, 'closed'), l(100_000 + KILL_CUT_WINDOW.afterMs, 'closed'), l(100_050, 'hung'), l(99_000, 'closed'), l(104_000, 'closed')], kill);
    expect(cutAtKill.map((x) => x.at)).toEqual([99_900, 103_000]);
    expect(rest.map((x) => x.at)).toEqual([100_050, 99_000, 104_000]);
    expect(splitLostAtKill([l(100_000, 'closed')]).rest).toHaveLength(1);
  });
  it('client handshakes that never completed: connect timeout, or no result past the deadline', () => {
    const h = (startedAt: number, endedAt: number | null, outcome: 'connect' | 'error' | 'timeout' | 'closed' | null) => ({ client: 0, startedAt, endedAt, outcome });
    const st = handshakeStats([h(0, 50, 'connect'), h(0, 20_000, 'timeout'), h(0, 500, 'error'), h(0, null, null), h(60_000, null, null), h(0, 1_000, 'closed'), h(0, 40_000, 'closed')], 35_000, 70_000);
    // The timeout, the one open for 70 s and the page closed after 40 s of waiting.
    expect(st).toEqual({ attempts: 7, hung: 3, deadlineMs: 35_000 });
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
    'transit_session_unknown_total{cause="misrouted",transport="polling"} 3',
    'transit_session_unknown_total{cause="ended",transport="polling"} 5',
    'transit_session_unknown_total{cause="ended",transport="websocket"} 1',
    'transit_session_unknown_total{cause="unknown",transport="polling"} 2',
    'nodejs_heap_size_used_bytes{worker="primary"} 1.5e+7',
  ].join('\n');
  it('parses the Prometheus text format and sums series', () => {
    const s = parsePromText(text);
    expect(sumOf(s, 'transit_polling_requests_total')).toBe(100);
    expect(sumOf(s, 'nodejs_heap_size_used_bytes')).toBe(15_000_000);
    expect(pointFrom(s, 5)).toMatchObject({ t: 5, pollingRequests: 100, polling400: 10, connectionsPolling: 7, connectionsWebsocket: 3, upstreamCalls: 4, sessionUnknownErrors: 10 });
    expect(pointFrom(s, 5).sessionUnknownByCause).toEqual({ misrouted: 3, ended: 6, unknown: 2 });
    // A service that does not export the counter yet: null, not zeros.
    expect(pointFrom(s.filter((x) => x.name !== 'transit_session_unknown_total'), 5).sessionUnknownByCause).toBeNull();
  });
  it('builds windows of 400 rate, latency and connections', () => {
    const t0 = 1_000_000;
    const series = buildSeries({
      t0,
      durationMs: 4_000,
      windowMs: 2_000,
      buckets: [{ polls: 10, byStatus: { '200': 9, '400': 1 }, byClass: {} }, { polls: 10, byStatus: { '200': 8, '400': 2 }, byClass: {}, sessionUnknown: { ended: 2 } }, { polls: 5, byStatus: { '200': 5 }, byClass: {} }],
      latencies: [{ at: t0 + 500, ms: 100 }, { at: t0 + 2_500, ms: 300 }],
      reconnectTimes: [t0 + 2_100],
      connected: [{ t: 1_000, n: 8 }, { t: 3_000, n: 9 }],
      points: [pointFrom(parsePromText(text), 1_000)],
    });
    expect(series).toHaveLength(2);
    // The 2 × 400 for ended sessions are apart from the rate.
    expect(series[0]).toMatchObject({ t: 2, polls: 20, bad400: 1, rate400Pct: 5, ended400: 2, ended400Pct: 10, latencyP50: 100, connectedClients: 8, reconnectsClient: 0, reconnectsServer: 0 });
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
  it('400 "Session ID unknown" causes by x-transit-session; no header = unknown', () => {
    expect(sessionUnknownCause(400, 'misrouted', 'session_unknown')).toEqual({ cause: 'misrouted', labelled: true });
    expect(sessionUnknownCause(400, 'Ended', 'session_unknown')).toEqual({ cause: 'ended', labelled: true });
    expect(sessionUnknownCause(400, ['unknown'], 'session_unknown')).toEqual({ cause: 'unknown', labelled: true });
    expect(sessionUnknownCause(400, undefined, 'session_unknown')).toEqual({ cause: 'unknown', labelled: false });
    expect(sessionUnknownCause(400, 'bogus', 'session_unknown')).toEqual({ cause: 'unknown', labelled: false });
    expect(sessionUnknownCause(400, undefined, 'bad_request')).toBeNull();
    expect(sessionUnknownCause(400, undefined, 'protocol_mismatch')).toBeNull();
    expect(sessionUnknownCause(200, 'ended', 'ok')).toBeNull();
    const raw = parseRawResponse('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nX-Transit-Session: ended\r\nContent-Length: 18\r\n\r\nSession ID unknown');
    expect(raw).toEqual({ status: 400, headers: { connection: 'close', 'x-transit-session': 'ended', 'content-length': '18' }, body: 'Session ID unknown' });
    // Long-polls may wait a whole ping interval; the deadline leaves 10 s on top, and stays
    // under pingInterval + pingTimeout, when the client aborts a silent poll itself.
    expect(hangDeadlineMs(25_000, 20_000)).toBe(35_000);
    expect(hangDeadlineMs(25_000, 60_000)).toBe(35_000);
    expect(hangDeadlineMs(25_000, 5_000)).toBe(27_500);
  });
  it('a complete HTTP response: by Content-Length, chunked, or close', () => {
    const b = (t: string) => Buffer.from(t, 'latin1');
    expect(completeResponse(b('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\no'), false)).toEqual({ complete: false, status: 200 });
    expect(completeResponse(b('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'), false)).toEqual({ complete: true, status: 200 });
    expect(completeResponse(b('HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n'), false).complete).toBe(false);
    expect(completeResponse(b('HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'), false).complete).toBe(true);
    expect(completeResponse(b('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n'), false)).toEqual({ complete: true, status: 204 });
    expect(completeResponse(b('HTTP/1.0 200 OK\r\n\r\nuntil close'), false).complete).toBe(false);
    expect(completeResponse(b('HTTP/1.0 200 OK\r\n\r\nuntil close'), true).complete).toBe(true);
    expect(completeResponse(b('HTTP/1.1 200 OK\r\nContent-Le'), true)).toEqual({ complete: false, status: 200 });
    expect(completeResponse(b(''), true)).toEqual({ complete: false, status: null });
  });
  it('progress line', () => {
    const line = progressText({ elapsedMs: 30_000, durationMs: 60_000, connected: 29, live: 30, polls: 1234, bad400: 0, reconnects: 5, recycles: 1, kills: 1, latencyP95: 120, phase: '' });
    expect(line).toMatch(/^\[#{12}\.{12}\]  50% 30\/60 s  clients 29\/30  polls 1234  400s 0/);
    expect(line).not.toMatch(/hung/);
    expect(progressText({ elapsedMs: 0, durationMs: 60_000, connected: 0, live: 0, polls: 0, bad400: 0, reconnects: 0, recycles: 0, kills: 0, hung: 2, latencyP95: null, phase: '' })).toMatch(/kills 0 {2}hung 2/);
  });
});

/**
 * Hostile-input limits against the production command with 2 workers: per-address 429s on
 * handshakes and /api/vehicles (counted once across workers), the security headers on Engine.IO's
 * responses, the payload limit, cutting consumers that do not take their output, and refusal
 * log lines that a flood cannot multiply. Each test speaks for its own client addresses
 * (TRUST_PROXY=true, Fly-Client-IP), so the limits of one do not touch another.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connectClient, sleep, waitFor } from './support/clients.js';
import { waitUntil } from './support/wait.js';
import { recordFigure } from './support/figures.js';
import { rawExchange } from './support/raw-http.js';
import { startTopology, type Topology } from './support/topology.js';

const LIMIT = 20;
/** 5,000 simulated vehicles: a snapshot of about 0.5 MB (measured 514,156 bytes), so three of them pass the default 1 MiB cap. */
const VEHICLES = 5_000;

let app: Topology;
beforeAll(async () => {
  app = await startTopology({
    WEB_CONCURRENCY: '2',
    TRUST_PROXY: 'true',
    HANDSHAKES_PER_MINUTE_PER_IP: String(LIMIT),
    API_REQUESTS_PER_MINUTE_PER_IP: String(LIMIT),
    SIMULATOR_VEHICLES: String(VEHICLES),
    // Deltas of 5,000 moving vehicles are nearly snapshot-sized: few of them, so that only the
    // test's own snapshot requests fill a backlog.
    POLL_INTERVAL_MS: '5000',
  });
}, 60_000);
afterAll(async () => {
  await app?.stop();
});

/** Headers of a request that Fly's proxy forwarded for `ip`, on a connection of its own (so the router picks a worker each time). */
const from = (ip: string, extra: Record<string, string> = {}) => ({ 'fly-client-ip': ip, connection: 'close', ...extra });
const handshake = (ip: string, extra?: Record<string, string>) => fetch(`${app.base}/socket.io/?EIO=4&transport=polling`, { headers: from(ip, extra) });
const sessionUrl = (sid: string) => `${app.base}/socket.io/?EIO=4&transport=polling&sid=${sid}`;
const post = (sid: string, ip: string, body: string) => fetch(sessionUrl(sid), { method: 'POST', headers: { ...from(ip), 'content-type': 'text/plain;charset=UTF-8' }, body });
const openPacket = async (r: Response) => JSON.parse((await r.text()).slice(1)) as { sid: string; maxPayload: number };
const metrics = async () => (await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`)).text();
const metric = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
const refusedLines = (reason: string, since = 0) => app.logs.slice(since).filter((l) => l.event === 'refused' && l.reason === reason);

describe('per-address limits (429 + Retry-After)', () => {
  it(`lets ${LIMIT} handshakes a minute from one address through, however the router spreads them over the workers, and answers the rest 429`, async () => {
    const answers: { status: number; retryAfter: string | null; body: string }[] = [];
    for (let i = 0; i < 30; i++) {
      const r = await handshake('198.51.100.1');
      answers.push({ status: r.status, retryAfter: r.headers.get('retry-after'), body: await r.text() });
    }
    const ok = answers.filter((a) => a.status === 200);
    const limited = answers.filter((a) => a.status === 429);
    const owners = new Set(ok.map((a) => (JSON.parse(a.body.slice(1)) as { sid: string }).sid.split('.')[0]));
    // A websocket-only client's handshake is an upgrade: the same count.
    const upgrade = await rawExchange(app.port, [
      'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: t\r\nFly-Client-IP: 198.51.100.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    ]);
    const other = await handshake('198.51.100.2');
    const counted = metric(await metrics(), 'transit_http_rate_limited_total{route="handshake"}');
    recordFigure('limits: handshakes from one address', { sent: 31, ok: ok.length, limited: limited.length + (upgrade?.status === 429 ? 1 : 0), workersServing: owners.size, retryAfter: limited.map((a) => a.retryAfter), counted, logLines: refusedLines('rate_limited_handshake').length });
    expect(ok).toHaveLength(LIMIT);
    expect(limited).toHaveLength(30 - LIMIT);
    expect(owners.size).toBe(2);
    for (const a of limited) {
      expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(a.retryAfter)).toBeLessThanOrEqual(60);
      expect((JSON.parse(a.body) as { message: string }).message).toMatch(`at most ${LIMIT} a minute`);
    }
    expect(upgrade?.status).toBe(429);
    expect(upgrade?.headers['retry-after']).toMatch(/^\d+$/);
    expect(other.status).toBe(200);
    expect(counted).toBe(11);
    // 11 refusals, at most one line per worker in the window.
    expect(refusedLines('rate_limited_handshake').length).toBeGreaterThanOrEqual(1);
    expect(refusedLines('rate_limited_handshake').length).toBeLessThanOrEqual(2);
  });

  it(`lets ${LIMIT} /api/vehicles requests a minute from one address through and answers the rest 429`, async () => {
    let first: Response | undefined;
    for (let i = 0; i < 15 && first?.status !== 200; i++) {
      if (i > 0) await sleep(300);
      first = await fetch(`${app.base}/api/vehicles`, { headers: from('198.51.100.10') });
    }
    const snapshot = (await first!.json()) as { vehicles: unknown[] };
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < LIMIT + 5; i++) {
      const r = await fetch(`${app.base}/api/vehicles?routes=N`, { headers: from('198.51.100.11') });
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get('retry-after');
      await r.arrayBuffer();
    }
    const counted = metric(await metrics(), 'transit_http_rate_limited_total{route="api_vehicles"}');
    recordFigure('limits: /api/vehicles from one address', { sent: statuses.length, ok: statuses.filter((s) => s === 200).length, limited: statuses.filter((s) => s === 429).length, retryAfter, counted, snapshotBytes: JSON.stringify(snapshot).length, vehicles: snapshot.vehicles.length });
    expect(statuses.filter((s) => s === 200)).toHaveLength(LIMIT);
    expect(statuses.slice(LIMIT)).toEqual([429, 429, 429, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(counted).toBe(5);
  });
});

describe('security headers on Engine.IO responses', () => {
  /** OWASP's set for responses that are never a document, with the values Express sends. */
  const SAME_AS_PAGE = ['x-content-type-options', 'cross-origin-resource-policy', 'x-frame-options', 'strict-transport-security'];
  /** What only a document needs: on the page, not on a poll. */
  const PAGE_ONLY = ['referrer-policy', 'permissions-policy', 'cross-origin-opener-policy', 'origin-agent-cluster', 'x-xss-protection'];

  it("are OWASP's API set with Express's values, HSTS included only when the trusted proxy says TLS", async () => {
    const tls = { 'x-forwarded-proto': 'https' };
    const page = await fetch(`${app.base}/api/config`, { headers: from('198.51.100.20', tls) });
    const hs = await handshake('198.51.100.20', tls);
    const { sid } = await openPacket(hs);
    const connect = await fetch(sessionUrl(sid), { method: 'POST', headers: { ...from('198.51.100.20', tls), 'content-type': 'text/plain' }, body: '40' });
    const plain = await handshake('198.51.100.21');
    const seen = Object.fromEntries([...SAME_AS_PAGE, 'content-security-policy', 'cache-control', ...PAGE_ONLY].map((n) => [n, hs.headers.get(n)]));
    recordFigure('limits: headers on an Engine.IO handshake response (behind TLS)', seen);
    for (const n of SAME_AS_PAGE) {
      expect(page.headers.get(n), n).not.toBeNull();
      expect(hs.headers.get(n), n).toBe(page.headers.get(n));
      expect(connect.headers.get(n), n).toBe(page.headers.get(n));
    }
    for (const res of [hs, connect, plain]) {
      expect(res.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
      expect(res.headers.get('cache-control')).toBe('no-store');
      for (const n of PAGE_ONLY) expect(res.headers.get(n), n).toBeNull();
    }
    for (const n of PAGE_ONLY) expect(page.headers.get(n), n).not.toBeNull();
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(hs.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
    expect(plain.headers.get('strict-transport-security')).toBeNull();
  });
});

describe(`MAX_HTTP_BUFFER_SIZE (default 16384)`, () => {
  it('is offered as maxPayload, carries the largest legitimate packet (a 100-route subscribe) and refuses a larger body or frame', async () => {
    const ip = '198.51.100.30';
    const open = await openPacket(await handshake(ip));
    expect(await (await post(open.sid, ip, '40')).text()).toBe('ok');
    await (await fetch(sessionUrl(open.sid), { headers: from(ip) })).text(); // CONNECT answer + snapshot
    const routes = Array.from({ length: 100 }, (_, i) => `r${i}`.padEnd(32, 'x'));
    const largest = `4299999${JSON.stringify(['subscribe', { routes }])}`;
    expect(await (await post(open.sid, ip, largest)).text()).toBe('ok');
    const ack = await (await fetch(sessionUrl(open.sid), { headers: from(ip) })).text();
    const over = await openPacket(await handshake(ip));
    const tooLarge = await post(over.sid, ip, `4${'x'.repeat(open.maxPayload)}`);
    const ws = new WebSocket(`ws://127.0.0.1:${app.port}/socket.io/?EIO=4&transport=websocket`, { headers: { 'fly-client-ip': ip } });
    const closeCode = await new Promise<number>((resolve) => {
      ws.on('message', (m) => void (m.toString().startsWith('0') && ws.send(`4${'x'.repeat(open.maxPayload)}`)));
      ws.on('close', (code) => resolve(code));
      ws.on('error', () => undefined);
    });
    recordFigure('limits: MAX_HTTP_BUFFER_SIZE', { maxPayload: open.maxPayload, largestLegitimatePacketBytes: Buffer.byteLength(largest), oversizePollingStatus: tooLarge.status, oversizeWebsocketClose: closeCode });
    expect(open.maxPayload).toBe(16_384);
    expect(Buffer.byteLength(largest)).toBeLessThan(open.maxPayload / 4);
    expect(ack).toContain('4399999[{"status":"ok"');
    expect(tooLarge.status).toBe(413);
    expect(closeCode).toBe(1009);
  });
});

describe('consumers that do not take their output (MAX_CLIENT_BUFFER_BYTES, default 1 MiB)', () => {
  const cuts = async () => metric(await metrics(), 'transit_socket_limited_total{reason="output_buffer"}');

  it('cuts a polling client that asks for snapshots and never polls; a client that polls keeps its session', async () => {
    const bystander = connectClient(app.base, { transports: ['polling'] });
    const before = await cuts();
    const ip = '198.51.100.40';
    const { sid } = await openPacket(await handshake(ip));
    await post(sid, ip, '40');
    const statuses: number[] = [];
    for (let i = 0; i < 5 && statuses.at(-1) !== 400; i++) {
      statuses.push((await post(sid, ip, '42["subscribe",{"routes":[]}]')).status);
      await sleep(100);
    }
    const poll = await fetch(sessionUrl(sid), { headers: from(ip) });
    const after = await cuts();
    const line = refusedLines('output_buffer').find((l) => l.sid === sid);
    await waitFor(() => bystander.snapshots >= 1, 10_000, 'the polling bystander has its snapshot');
    recordFigure('limits: polling client that never polls', { subscribePosts: statuses, pollAfter: poll.status, cutAtBytes: line?.bytes, cutAtPackets: line?.packets, cap: 1_048_576 });
    expect(statuses.length).toBeLessThanOrEqual(3);
    expect(statuses.at(-1)).toBe(400);
    expect(poll.status).toBe(400);
    expect(after - before).toBe(1);
    expect(line).toMatchObject({ transport: 'polling', why: 'bytes' });
    expect(line!.bytes as number).toBeGreaterThan(1_048_576);
    expect(bystander.socket.connected).toBe(true);
    bystander.close();
  });

  it('cuts a websocket client that stops reading', async () => {
    const before = await cuts();
    const openConnections = async () => metric(await metrics(), 'transit_router_open_connections');
    const openBefore = await openConnections();
    const ws = new WebSocket(`ws://127.0.0.1:${app.port}/socket.io/?EIO=4&transport=websocket`, { headers: { 'fly-client-ip': '198.51.100.41' } });
    ws.on('error', () => undefined);
    await new Promise<void>((resolve) => ws.once('message', () => resolve()));
    ws.send('40');
    // Stop reading before the snapshots arrive: the kernel buffers fill, then the server's.
    ws.pause();
    const started = Date.now();
    let sent = 0;
    while ((await cuts()) === before && Date.now() - started < 10_000) {
      ws.send('42["subscribe",{"routes":[]}]');
      sent += 1;
      await sleep(sent <= 10 ? 30 : 500); // the per-socket bucket: a burst of 10, then 2 a second
    }
    const cutAfterMs = Date.now() - started;
    // Reading again, the client finds its connection ended by the server (what was in flight, then EOF).
    // The server ended the TCP connection: the public port's open connections are back to
    // what they were before this client (counted by the router from the workers' reports).
    // Judged on the server: the paused client's own 'close' event came late or never on a
    // loaded CI machine (ws does not restart reading while its receiver reports needDrain).
    const endedFrom = Date.now();
    await waitUntil(openConnections, (n) => n <= openBefore, 10_000, "the server closing the cut client's connection");
    const endedAfterMs = Date.now() - endedFrom;
    const clientSawClose = new Promise<boolean>((resolve) => {
      ws.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 2_000);
    });
    ws.resume();
    recordFigure('limits: websocket client that stops reading', { subscribesSent: sent, cutAfterMs, endedAfterMs, clientSawCloseWithin2s: await clientSawClose });
    ws.terminate();
    expect((await cuts()) - before).toBe(1);
  });
});

describe('refusal log lines', () => {
  it('stay at one per reason and process however many refusals, while the metrics count every one', async () => {
    const since = app.logs.length;
    const m0 = await metrics();
    const N = 40;
    const origins: number[] = [];
    for (let i = 0; i < N; i++) origins.push((await handshake(`203.0.113.${i + 1}`, { origin: 'https://evil.example' })).status);
    const forged: number[] = [];
    for (let i = 0; i < N; i++) forged.push((await fetch(sessionUrl(`1.forged${i}`), { headers: from('198.51.100.50') })).status);
    const garbage: (number | undefined)[] = [];
    for (let i = 0; i < N; i++) garbage.push((await rawExchange(app.port, ['\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03']))?.status);
    await sleep(300);
    const m1 = await metrics();
    const delta = (series: string) => metric(m1, series) - metric(m0, series);
    const figures = {
      refused: N,
      originLines: refusedLines('origin', since).length,
      forgedSidLines: refusedLines('session_unknown', since).length,
      badRequestLines: refusedLines('bad_request', since).length,
      originCounted: delta('transit_engine_connection_errors_total{code="4",message="Forbidden"}'),
      forgedCounted: delta('transit_session_unknown_total{cause="unknown",transport="polling"}'),
      badRequestCounted: delta('transit_router_refused_total{reason="bad_request"}'),
    };
    recordFigure('limits: sampled refusal lines', figures);
    expect(origins).toEqual(Array(N).fill(403));
    expect(forged).toEqual(Array(N).fill(400));
    expect(garbage).toEqual(Array(N).fill(400));
    // One RefusalLog per process: at most one line per worker (origin, sid) or for the primary (router).
    expect(figures.originLines).toBeGreaterThanOrEqual(1);
    expect(figures.originLines).toBeLessThanOrEqual(2);
    expect(figures.forgedSidLines).toBeGreaterThanOrEqual(1);
    expect(figures.forgedSidLines).toBeLessThanOrEqual(2);
    expect(figures.badRequestLines).toBe(1);
    expect(figures.originCounted).toBe(N);
    expect(figures.forgedCounted).toBe(N);
    expect(figures.badRequestCounted).toBe(N);
  });
});

import http, { type IncomingMessage } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { Server } from 'socket.io';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RefusalLog } from '../logging/refusal-log.js';
import { POLLING_REQUESTS_TOTAL, SESSION_UNKNOWN_TOTAL } from '../metrics/metric-names.js';
import { WorkerMetrics } from '../metrics/worker-metrics.js';
import { newSessionId } from '../shared/session-id.js';
import { AddressGate, AddressLimits } from './address-gate.js';
import { ClosedSessions } from './closed-sessions.js';
import { FORWARDED_HEADER } from './forward.js';
import { installSessionGuard, type SessionGuardOptions } from './session-guard.js';
import { SESSION_CAUSE_HEADER } from './session-unknown.js';
import { WorkerDirectory } from './worker-directory.js';

const ME = 1;
const SIBLING = 2;
const GONE = 3;
/** Engine.IO's answer to an unknown sid (`Server.errorMessages[1]`), byte for byte. */
const UNKNOWN_BODY = '{"code":1,"message":"Session ID unknown"}';
const POLL = '/socket.io/?EIO=4&transport=polling';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request; on its own connection unless `agent` (a keep-alive one, to see the server's Connection header) is given. */
function request(port: number, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string; agent?: http.Agent } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers, agent: opts.agent ?? false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Sends a websocket upgrade by hand and returns everything the server wrote before it closed. */
function upgrade(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    let out = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (out += c));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
  });
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

const open: http.Server[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A worker's HTTP server with the real Socket.IO and the guard in front, a sibling's loopback port, and the deps as plain objects. */
async function setup(opts: { gate?: AddressGate; instance?: string; siblingDraining?: boolean } = {}) {
  const appSaw: IncomingMessage[] = [];
  const server = http.createServer((req, res) => {
    appSaw.push(req);
    res.end('app');
  });
  const io = new Server(server);
  io.engine.generateId = () => newSessionId(ME, opts.instance);
  const engineRequests = vi.spyOn(io.engine, 'handleRequest');
  const sibling = http.createServer((req, res) => {
    siblingSaw.push(req);
    res.end(`sibling answered ${req.url}`);
  });
  const siblingSaw: IncomingMessage[] = [];
  open.push(server, sibling);
  const [port, siblingPort] = await Promise.all([listen(server), listen(sibling)]);
  const directory = new WorkerDirectory();
  const directoryWith = (siblingPortNow: number, siblingDraining = false) =>
    directory.update({
      t: 'directory',
      workers: [
        { id: ME, internalPort: port, draining: false, responsive: true },
        { id: SIBLING, internalPort: siblingPortNow, draining: siblingDraining, responsive: true },
      ],
      gone: { [GONE]: 'worker_recycled' },
    });
  directoryWith(siblingPort, opts.siblingDraining);
  const registry = new Registry();
  const metrics = new WorkerMetrics(ME, () => ({ polling: 0, websocket: 0 }), registry);
  const warned: { reason?: string }[] = [];
  const refusals = new RefusalLog(pino({ level: 'warn' }, { write: (line: string) => void warned.push(JSON.parse(line)) }));
  const closed = new ClosedSessions();
  const state = { draining: false, publicPort: false };
  const guardOpts: SessionGuardOptions = {
    me: ME,
    instance: opts.instance,
    sticky: true,
    enginePath: '/socket.io/',
    directory,
    closed,
    metrics,
    logger: pino({ level: 'silent' }),
    refusals,
    gate: opts.gate,
    isDraining: () => state.draining,
    hasSession: (sid) => Object.hasOwn((io.engine as unknown as { clients: object }).clients, sid),
    fromPublicPort: () => state.publicPort,
    maxBodyBytes: 1_000_000,
    forwardTimeoutMs: 5_000,
  };
  installSessionGuard(server, guardOpts);
  const count = async (name: string, labels: Record<string, string>) =>
    (await registry.getSingleMetric(name)!.get()).values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
  return { port, siblingPort, io, appSaw, engineRequests, siblingSaw, directoryWith, closed, state, warned, count };
}

describe('installSessionGuard: long-polling', () => {
  it('a handshake and its session’s own requests reach Engine.IO, other paths the app; each polling response is counted', async () => {
    const s = await setup();
    const hello = await request(s.port, POLL);
    expect(hello.status).toBe(200);
    const sid = (JSON.parse(hello.body.slice(1)) as { sid: string }).sid;
    expect(sid.startsWith(`${ME}.`)).toBe(true);
    const post = await request(s.port, `${POLL}&sid=${sid}`, { method: 'POST', body: '40', headers: { 'Content-Type': 'text/plain' } });
    expect([post.status, post.body]).toEqual([200, 'ok']);
    expect((await request(s.port, '/healthz')).body).toBe('app');
    expect(s.engineRequests).toHaveBeenCalledTimes(2);
    expect(await s.count(POLLING_REQUESTS_TOTAL, { method: 'GET', status: '200' })).toBe(1);
    expect(await s.count(POLLING_REQUESTS_TOTAL, { method: 'POST', status: '200' })).toBe(1);
  });

  it('an id never issued here: Engine.IO’s own 400 body, tagged `unknown`, counted and logged', async () => {
    const s = await setup();
    const res = await request(s.port, `${POLL}&sid=forged`);
    expect([res.status, res.body, res.headers[SESSION_CAUSE_HEADER]]).toEqual([400, UNKNOWN_BODY, 'unknown']);
    expect(s.engineRequests).toHaveBeenCalledTimes(1);
    expect(await s.count(SESSION_UNKNOWN_TOTAL, { cause: 'unknown', transport: 'polling' })).toBe(1);
    expect(await s.count(POLLING_REQUESTS_TOTAL, { method: 'GET', status: '400' })).toBe(1);
    expect(s.warned.map((w) => w.reason)).toEqual(['session_unknown']);
  });

  it('a repeated sid is decided on the value Engine.IO serves (the last), and Engine.IO reuses the guard’s parse', async () => {
    const s = await setup();
    const sid = (JSON.parse((await request(s.port, POLL)).body.slice(1)) as { sid: string }).sid;
    const prepare = vi.spyOn(URL.prototype, 'searchParams', 'get');
    // Held here first, a sibling's last: Engine.IO would serve the sibling's, so it is relayed.
    const relayed = await request(s.port, `${POLL}&sid=${sid}&sid=${newSessionId(SIBLING)}`);
    expect(relayed.body).toMatch(/^sibling answered /);
    // A sibling's first, held here last: Engine.IO's to answer, from the session.
    const served = await request(s.port, `${POLL}&sid=${newSessionId(SIBLING)}&sid=${sid}`, { method: 'POST', body: '40', headers: { 'Content-Type': 'text/plain' } });
    expect([served.status, served.body]).toEqual([200, 'ok']);
    // One WHATWG parse per request (the guard's), none by Engine.IO's Server.prepare.
    expect(prepare).toHaveBeenCalledTimes(2);
    prepare.mockRestore();
    expect(s.siblingSaw).toHaveLength(1);
  });

  it('a session of a worker that is gone: the guard answers the same 400 bytes itself, tagged `ended`, not logged', async () => {
    const s = await setup();
    const res = await request(s.port, `${POLL}&sid=${newSessionId(GONE)}`);
    expect([res.status, res.body, res.headers[SESSION_CAUSE_HEADER], res.headers['cache-control']]).toEqual([400, UNKNOWN_BODY, 'ended', 'no-store']);
    expect(s.engineRequests).not.toHaveBeenCalled();
    expect(await s.count(SESSION_UNKNOWN_TOTAL, { cause: 'ended', transport: 'polling' })).toBe(1);
    expect(s.warned).toEqual([]);
  });

  it('a session this worker closed: Engine.IO’s 400, tagged `ended`', async () => {
    const s = await setup();
    const sid = newSessionId(ME);
    s.closed.add(sid, 'worker_recycled');
    const res = await request(s.port, `${POLL}&sid=${sid}`);
    expect([res.status, res.body, res.headers[SESSION_CAUSE_HEADER]]).toEqual([400, UNKNOWN_BODY, 'ended']);
    expect(s.engineRequests).toHaveBeenCalledTimes(1);
    expect(await s.count(SESSION_UNKNOWN_TOTAL, { cause: 'ended', transport: 'polling' })).toBe(1);
  });

  it('a live sibling’s session is relayed to its loopback port with the forwarded-by marker, and its answer comes back', async () => {
    const s = await setup();
    const path = `${POLL}&sid=${newSessionId(SIBLING)}`;
    const res = await request(s.port, path);
    expect([res.status, res.body]).toEqual([200, `sibling answered ${path}`]);
    expect(s.siblingSaw.map((r) => [r.url, r.headers[FORWARDED_HEADER]])).toEqual([[path, String(ME)]]);
    expect(s.engineRequests).not.toHaveBeenCalled();
    expect(await s.count(SESSION_UNKNOWN_TOTAL, { cause: 'misrouted', transport: 'polling' })).toBe(0);
  });

  it('a sibling that cannot be reached (gone between directory and connect): 400 Session ID unknown, cause `ended`', async () => {
    const s = await setup();
    const dead = http.createServer();
    const deadPort = await listen(dead);
    await new Promise((r) => dead.close(r));
    s.directoryWith(deadPort);
    const res = await request(s.port, `${POLL}&sid=${newSessionId(SIBLING)}`);
    expect([res.status, res.body, res.headers[SESSION_CAUSE_HEADER]]).toEqual([400, UNKNOWN_BODY, 'ended']);
    expect(await s.count(SESSION_UNKNOWN_TOTAL, { cause: 'ended', transport: 'polling' })).toBe(1);
  });

  it('a relayed request that still misses is `misrouted` and never relayed again; the same marker on the public port is stripped', async () => {
    const s = await setup();
    const path = `${POLL}&sid=${newSessionId(SIBLING)}`;
    const hop = await request(s.port, path, { headers: { [FORWARDED_HEADER]: '2' } });
    expect([hop.status, hop.body, hop.headers[SESSION_CAUSE_HEADER]]).toEqual([400, UNKNOWN_BODY, 'misrouted']);
    expect(s.siblingSaw).toEqual([]);
    expect(s.warned.map((w) => w.reason)).toEqual(['session_misrouted']);
    // A relayed request was counted by the worker that relayed it.
    expect(await s.count(POLLING_REQUESTS_TOTAL, { method: 'GET', status: '400' })).toBe(0);
    await request(s.port, '/healthz', { headers: { [FORWARDED_HEADER]: '2' } });
    s.state.publicPort = true;
    const forged = await request(s.port, path, { headers: { [FORWARDED_HEADER]: '2' } });
    expect(forged.status).toBe(200);
    expect(s.siblingSaw.map((r) => r.headers[FORWARDED_HEADER])).toEqual([String(ME)]);
    await request(s.port, '/healthz', { headers: { [FORWARDED_HEADER]: '2' } });
    expect(s.appSaw.map((r) => r.headers[FORWARDED_HEADER])).toEqual(['2', undefined]);
  });

  it('draining: a handshake is started on a sibling taking sessions, answered Connection: close; with none, 503 Retry-After 1', async () => {
    const s = await setup();
    const agent = new http.Agent({ keepAlive: true });
    expect((await request(s.port, '/healthz', { agent })).headers.connection).toBe('keep-alive');
    s.state.draining = true;
    const moved = await request(s.port, POLL, { agent });
    agent.destroy();
    expect([moved.status, moved.body, moved.headers.connection]).toEqual([200, `sibling answered ${POLL}`, 'close']);
    expect(s.engineRequests).not.toHaveBeenCalled();
    s.directoryWith(s.siblingPort, true);
    const refused = await request(s.port, POLL);
    expect([refused.status, refused.body, refused.headers['retry-after']]).toEqual([503, 'shutting down: connect again in a moment\n', '1']);
    expect(s.siblingSaw).toHaveLength(1);
  });

  it('another instance’s session: 409 with fly-replay naming it', async () => {
    const s = await setup({ instance: 'a' });
    const res = await request(s.port, `${POLL}&sid=${newSessionId(SIBLING, 'b')}`);
    expect([res.status, res.headers['fly-replay'], res.body]).toEqual([409, 'instance=b', 'session belongs to instance b\n']);
  });

  it('the address gate answers 429 before anything else, counted as a polling response', async () => {
    const gate = new AddressGate({
      limits: new AddressLimits({ handshake: new RateLimiterMemory({ points: 1, duration: 60 }) }, false),
      perMinute: { handshake: 1, api_vehicles: 0 },
      enginePath: '/socket.io/',
      headers: () => ({}),
      limited: () => undefined,
    });
    const s = await setup({ gate });
    expect((await request(s.port, POLL)).status).toBe(200);
    expect((await request(s.port, POLL)).status).toBe(429);
    expect(s.engineRequests).toHaveBeenCalledTimes(1);
    expect(await s.count(POLLING_REQUESTS_TOTAL, { method: 'GET', status: '429' })).toBe(1);
  });
});

describe('installSessionGuard: websocket upgrades', () => {
  it('a gone worker’s session: Engine.IO’s raw 400 `Session ID unknown`, tagged `ended`; an upgrade off the engine path: 400', async () => {
    const s = await setup();
    const ended = await upgrade(s.port, `/socket.io/?EIO=4&transport=websocket&sid=${newSessionId(GONE)}`);
    expect(ended).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(ended).toContain(`\r\n${SESSION_CAUSE_HEADER}: ended\r\n`);
    expect(ended.endsWith('\r\n\r\nSession ID unknown')).toBe(true);
    expect(await s.count(SESSION_UNKNOWN_TOTAL, { cause: 'ended', transport: 'websocket' })).toBe(1);
    const elsewhere = await upgrade(s.port, '/other');
    expect(elsewhere).toMatch(/^HTTP\/1\.1 400 /);
    expect(elsewhere).toContain('upgrades are served on /socket.io/ only\n');
  });
});

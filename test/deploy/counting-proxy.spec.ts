/**
 * The harness's counting proxy in front of a scripted upstream (no service build needed):
 * 400 "Session ID unknown" split by the `x-transit-session` header the worker sets (absent
 * = unknown), and requests that got no answer — no response head within the deadline, or an
 * upstream close without one — told apart from requests their client abandoned.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startCountingProxy, type CountingProxy } from '../../scripts/predeploy/counting-proxy.ts';
import { sleep } from '../support/wait.ts';

const SESSION_UNKNOWN = JSON.stringify({ code: 1, message: 'Session ID unknown' });
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** The scripted upstream: answers by the request's sid or path. */
async function upstream(): Promise<{ port: number; held: Set<http.ServerResponse> }> {
  const held = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const sid = new URL(req.url!, 'http://x').searchParams.get('sid');
    req.resume();
    const su = (cause?: string) => res.writeHead(400, { 'Content-Type': 'application/json', ...(cause ? { 'x-transit-session': cause } : {}) }).end(SESSION_UNKNOWN);
    if (sid === 'MIS') return su('misrouted');
    if (sid === 'END') return su('ended');
    if (sid === 'UNK') return su('unknown');
    if (sid === 'BARE') return su();
    if (sid === 'BAD') return res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ code: 3, message: 'Bad request' }));
    if (sid === 'HANG' || req.url === '/hang') return void held.add(res); // never answered
    if (sid === 'CUT') return req.socket.destroy(); // closed without an answer
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end(sid ? '6' : 'ok');
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
    const sid = new URL(req.url!, 'http://x').searchParams.get('sid');
    if (sid === 'WSEND') {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-type: text/html\r\nx-transit-session: ended\r\nContent-Length: 18\r\n\r\nSession ID unknown');
    } else if (sid === 'WSBARE') {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-type: text/html\r\nContent-Length: 18\r\n\r\nSession ID unknown');
    } else socket.destroy(); // no answer at all
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as AddressInfo).port, held };
}

async function proxyFor(port: number, hangMs: number): Promise<CountingProxy> {
  const p = await startCountingProxy({ host: '127.0.0.1', port }, { hangMs });
  closers.push(() => p.close());
  return p;
}

/** A GET through the proxy: the status, or 0 if the request failed or was aborted after `abortMs`. */
function get(base: string, path: string, abortMs?: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(`${base}${path}`, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    if (abortMs !== undefined) setTimeout(() => req.destroy(), abortMs);
  });
}

/** A websocket upgrade through the proxy: its raw answer, whatever comes before the close. */
function upgrade(base: string, sid: string): Promise<string> {
  const { port } = new URL(base);
  return new Promise((resolve) => {
    const s = net.connect(Number(port), '127.0.0.1', () => {
      s.write(`GET /socket.io/?EIO=4&transport=websocket&sid=${sid} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
    });
    let text = '';
    s.on('data', (c: Buffer) => (text += c.toString('latin1')));
    s.on('close', () => resolve(text));
    s.on('error', () => undefined);
  });
}

const poll = (sid: string) => `/socket.io/?EIO=4&transport=polling&sid=${sid}`;

describe('counting proxy', () => {
  it('splits 400 "Session ID unknown" by x-transit-session; no header counts as unknown', async () => {
    const up = await upstream();
    const p = await proxyFor(up.port, 5_000);
    const statuses = await Promise.all(['MIS', 'END', 'END', 'UNK', 'BARE', 'BAD', 'OK1'].map((sid) => get(p.url, poll(sid))));
    expect(statuses).toEqual([400, 400, 400, 400, 400, 400, 200]);
    expect(p.counts.sessionUnknown).toEqual({ misrouted: 1, ended: 2, unknown: 2 });
    expect(p.counts.sessionUnknownUnlabelled).toBe(1);
    expect(p.counts.byClass).toEqual({ session_unknown: 5, bad_request: 1, ok: 1 });
    expect(p.counts.polls).toBe(7);
    // Per sid, for attributing the client's loss; and per second, for the report's series.
    expect(Object.fromEntries(p.sessionUnknownBySid)).toEqual({ MIS: 'misrouted', END: 'ended', UNK: 'unknown', BARE: 'unknown' });
    expect(p.buckets.reduce((n, b) => n + (b.sessionUnknown?.ended ?? 0), 0)).toBe(2);
    expect(p.counts.badSamples.some((x) => x.includes('[x-transit-session: ended]'))).toBe(true);
    // Websocket upgrades refused the same way, by the raw answer's header.
    expect(await upgrade(p.url, 'WSEND')).toMatch(/^HTTP\/1\.1 400 .*x-transit-session: ended.*Session ID unknown$/s);
    expect(await upgrade(p.url, 'WSBARE')).toMatch(/^HTTP\/1\.1 400/);
    expect(p.counts.wsSessionUnknown).toEqual({ misrouted: 0, ended: 1, unknown: 1 });
    expect(p.counts.wsByStatus).toEqual({ '400': 2 });
    expect([p.counts.sessionUnknownUnlabelled, p.counts.wsSessionUnknownUnlabelled]).toEqual([1, 1]);
    // Every one of them was answered.
    expect(p.counts).toMatchObject({ forwarded: 9, hung: 0, closedNoResponse: 0 });
  });

  it('counts requests with no response head within the deadline, and upstream closes without one', async () => {
    const up = await upstream();
    const p = await proxyFor(up.port, 300);
    const cut = get(p.url, poll('CUT'));
    const hung = get(p.url, poll('HANG'));
    const plain = get(p.url, '/hang');
    expect(await cut).toBe(502);
    await sleep(500);
    expect(p.counts).toMatchObject({ forwarded: 3, hung: 2, closedNoResponse: 1 });
    expect(p.counts.lost.map((l) => l.kind).sort()).toEqual(['closed', 'hung', 'hung']);
    expect(p.counts.lost.find((l) => l.kind === 'hung')!.detail).toBe('no response head within 300 ms');
    // A hung request answered late stays counted once.
    for (const res of up.held) res.writeHead(200).end('6');
    expect(await hung).toBe(200);
    expect(await plain).toBe(200);
    expect(p.counts.hung).toBe(2);
    // An upgrade the service closes without a status line is lost too.
    expect(await upgrade(p.url, 'WSNONE')).toBe('');
    await sleep(50);
    expect(p.counts).toMatchObject({ forwarded: 4, closedNoResponse: 2 });
  });

  it('a request its client abandons is not lost; one still within its deadline at close is not judged', async () => {
    const up = await upstream();
    const p = await proxyFor(up.port, 400);
    expect(await get(p.url, poll('HANG'), 100)).toBe(0);
    await sleep(500);
    expect(p.counts).toMatchObject({ forwarded: 1, hung: 0, closedNoResponse: 0, abandoned: 1 });
    void get(p.url, poll('HANG'));
    await sleep(100);
    await p.close();
    closers.pop();
    // Closing cut it (and the upstream connection): neither counts.
    expect(p.counts).toMatchObject({ forwarded: 2, hung: 0, closedNoResponse: 0, unjudgedAtClose: 1 });
  });
});

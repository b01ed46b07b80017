import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ownerOfSession } from '../src/shared/session-id.js';
import { REJECT_DEADLINE_MS } from '../src/primary/router.js';
import { recordFigure } from './support/figures.js';
import { inParallel, rawExchange, type Gap } from './support/raw-http.js';
import { startTopology, type Topology } from './support/topology.js';

/**
 * The router against the production command (2 workers, defaults) at real concurrency:
 * split writes, large bodies, upgrades on reused connections, and Engine.IO's session ends.
 */
describe('router: no lost bytes, no stuck connections', () => {
  let app: Topology;
  beforeAll(async () => {
    app = await startTopology({ WEB_CONCURRENCY: '2', DIAGNOSTIC_ROUTES: 'true', MAX_CONNECTIONS_PER_IP: '0' });
  });
  afterAll(async () => {
    await app?.stop();
  });

  const body7 = 'abcdefg';
  const post = (body: string | Buffer) =>
    `POST /_diag/sha256 HTTP/1.1\r\nHost: t\r\nContent-Type: application/octet-stream\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
  const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

  for (const gap of ['same-tick', 'next-tick', 1] as Gap[]) {
    it(`100 concurrent POSTs whose 7-byte body follows the headers (${gap === 1 ? '1 ms' : gap}): every one answered, every hash equal`, async () => {
      const answers = await inParallel(100, 100, () => rawExchange(app.port, [post(body7), body7], { gap, timeoutMs: 5_000 }));
      const hung = answers.filter((a) => a === null).length;
      const wrong = answers.filter((a) => a && JSON.parse(a.body).sha256 !== sha(body7)).length;
      recordFigure(`router: split POST, gap ${gap}`, { connections: 100, hung, wrongHash: wrong });
      expect(hung).toBe(0);
      expect(wrong).toBe(0);
    });
  }

  it('20 GET /healthz whose 2 KB of headers follow the request line at once: all answered', async () => {
    const filler = Array.from({ length: 40 }, (_, i) => `X-Filler-${i}: ${'x'.repeat(40)}\r\n`).join('');
    const answers = await inParallel(20, 20, () => rawExchange(app.port, ['GET /healthz HTTP/1.1\r\n', `Host: t\r\n${filler}\r\n`], { gap: 'next-tick' }));
    expect(answers.filter((a) => a?.status === 200).length).toBe(20);
  });

  it('1,000 concurrent connections each POSTing 64 KB in four writes: 0 hung, every hash equal', async () => {
    const started = Date.now();
    const answers = await inParallel(1000, 1000, async () => {
      const body = randomBytes(64 * 1024);
      const quarters = [0, 1, 2, 3].map((q) => body.subarray(q * 16384, (q + 1) * 16384));
      const a = await rawExchange(app.port, [post(body), ...quarters], { gap: 'next-tick', timeoutMs: 30_000 });
      return a ? JSON.parse(a.body).sha256 === sha(body) && JSON.parse(a.body).bytes === body.byteLength : null;
    });
    const hung = answers.filter((a) => a === null).length;
    const wrong = answers.filter((a) => a === false).length;
    recordFigure('router: 1000 × 64 KB POST', { hung, wrongHash: wrong, ms: Date.now() - started });
    expect(hung).toBe(0);
    expect(wrong).toBe(0);
  });

  it('websocket upgrades on reused keep-alive connections reach the session owner (100 at once)', async () => {
    const results = await inParallel(100, 100, async () => {
      // A connection that served a request on one worker …
      const socket = net.connect({ host: '127.0.0.1', port: app.port });
      const first = await rawExchange(app.port, ['GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n'], { socket });
      if (first?.status !== 200) return 'first request failed';
      const connectionWorker = JSON.parse(first.body).info.process.worker as number;
      // … then carries the upgrade of a session that the *other* worker may own.
      const hs = await rawExchange(app.port, ['GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n']);
      const sid = JSON.parse(hs!.body.slice(1)).sid as string;
      const connect = await rawExchange(app.port, [`POST /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nConnection: close\r\n\r\n40`]);
      if (connect?.body !== 'ok') return `CONNECT answered ${connect?.body}`;
      const r = await wsUpgradeOn(socket, app.port, sid);
      return r === 'ok' && ownerOfSession(sid) !== connectionWorker ? 'ok, crossed' : r;
    });
    const ok = results.filter((r) => r.startsWith('ok')).length;
    const crossed = results.filter((r) => r === 'ok, crossed').length;
    recordFigure('router: ws upgrade on reused connection', { tried: 100, ok, crossedWorkers: crossed, failures: results.filter((r) => !r.startsWith('ok')).slice(0, 3) });
    expect(ok).toBe(100);
    // Round-robin handshakes: about half the sessions live on the other worker than the connection.
    expect(crossed).toBeGreaterThan(10);
  });

  it('50 polling sessions at once, each on one kept-alive connection: every answer keeps it open', async () => {
    const results = await inParallel(50, 50, async () => {
      const socket = net.connect({ host: '127.0.0.1', port: app.port, noDelay: true });
      const req = (method: 'GET' | 'POST', sid?: string, body = '') =>
        rawExchange(app.port, [`${method} /socket.io/?EIO=4&transport=polling${sid ? `&sid=${sid}` : ''} HTTP/1.1\r\nHost: t\r\n${method === 'POST' ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : ''}\r\n${body}`], { socket, timeoutMs: 5_000 });
      const hs = await req('GET');
      const sid = JSON.parse(hs!.body.slice(1)).sid as string;
      const answers = [hs, await req('POST', sid, '40'), await req('GET', sid), await req('POST', sid, '421["subscribe",{"routes":["N"]}]'), await req('GET', sid)];
      const open = !socket.destroyed;
      socket.destroy();
      const last = answers.at(-1)?.body ?? '';
      if (answers.some((a) => a?.status !== 200)) return `status ${answers.map((a) => a?.status ?? 'none').join(',')}`;
      if (answers.some((a) => a!.headers.connection !== 'keep-alive')) return `connection: ${answers.map((a) => a!.headers.connection).join(',')}`;
      if (!last.includes('431[{"status":"ok"')) return `no subscribe ack in ${last.slice(0, 80)}`;
      return open ? 'ok' : 'closed';
    });
    recordFigure('router: polling sessions on kept-alive connections', { sessions: 50, requestsEach: 5, ok: results.filter((r) => r === 'ok').length, failures: results.filter((r) => r !== 'ok').slice(0, 3) });
    expect(results.filter((r) => r !== 'ok')).toEqual([]);
  });

  it('a client cannot skip the guard with the forwarded-by marker: its request is still forwarded to the owner', async () => {
    let checked = 0;
    for (let i = 0; i < 10 && checked < 3; i++) {
      const socket = net.connect({ host: '127.0.0.1', port: app.port });
      const first = await rawExchange(app.port, ['GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n'], { socket });
      const connectionWorker = JSON.parse(first!.body).info.process.worker as number;
      const hs = await rawExchange(app.port, ['GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n']);
      const sid = JSON.parse(hs!.body.slice(1)).sid as string;
      if (ownerOfSession(sid) === connectionWorker) {
        socket.destroy();
        continue;
      }
      const spoofed = await rawExchange(app.port, [`POST /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: t\r\nx-transit-forwarded-by: ${ownerOfSession(sid)}\r\nContent-Length: 2\r\n\r\n40`], { socket });
      socket.destroy();
      expect(spoofed?.status).toBe(200);
      expect(spoofed?.body).toBe('ok');
      checked += 1;
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('a first byte that cannot start an HTTP method is refused at once (400)', async () => {
    const a = await rawExchange(app.port, [Buffer.from([0x16, 0x03, 0x01, 0x00])], { timeoutMs: 1_000 });
    expect(a?.status).toBe(400);
    expect(a!.ms).toBeLessThan(500);
  });

  it(`a client that holds the connection half-open after a 400 is cut within ${REJECT_DEADLINE_MS} ms`, async () => {
    const socket = net.connect({ host: '127.0.0.1', port: app.port, allowHalfOpen: true });
    let answeredAt = 0;
    socket.on('data', () => (answeredAt ||= Date.now()));
    socket.on('error', () => undefined);
    socket.write('\x00garbage\r\n\r\n');
    // The client never closes its side; it keeps writing, as a stuck peer would.
    const keepWriting = setInterval(() => socket.writable && socket.write('x'), 100);
    const closedAt = await new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
    clearInterval(keepWriting);
    expect(answeredAt).toBeGreaterThan(0);
    recordFigure('router: half-open after 400', { cutAfterMs: closedAt - answeredAt });
    expect(closedAt - answeredAt).toBeLessThan(REJECT_DEADLINE_MS + 1_000);
  });
});

/** Upgrades `socket` (already used for one request) to the websocket of `sid`, probes, upgrades, expects the snapshot. */
function wsUpgradeOn(socket: net.Socket, port: number, sid: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket&sid=${sid}`, { createConnection: () => socket });
    const timer = setTimeout(() => done(`no snapshot within 10 s (owner ${ownerOfSession(sid)})`), 10_000);
    const done = (r: string) => {
      clearTimeout(timer);
      ws.terminate();
      resolve(r);
    };
    ws.on('open', () => ws.send('2probe'));
    ws.on('message', (m) => {
      const text = m.toString();
      if (text === '3probe') ws.send('5');
      else if (text.startsWith('42["vehicles:snapshot"')) done(JSON.parse(text.slice(2))[1].vehicles.length > 0 ? 'ok' : 'empty snapshot');
      else if (text === '2') ws.send('3');
    });
    ws.on('unexpected-response', (_req, res) => done(`upgrade answered ${res.statusCode}`));
    ws.on('error', (e) => done(`ws error ${e.message}`));
  });
}

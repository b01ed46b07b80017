/**
 * EioSession + node-driver against a REAL socket.io 4.8 server on polling only: handshake,
 * CONNECT with auth, snapshot, pings, subscribe + ack, and the failure classes the load tests hunt.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  EioSession, buildEngineUrl, classifyPollingResponse, parseEngineIoError, type Inbound,
} from '../../loadtest/lib/engineio.ts';
import { NodePollingClient, SessionFailure, delay, sendHttp, type FetchLike } from '../../loadtest/lib/node-driver.ts';
import { TransitTracker } from '../../loadtest/lib/transit.ts';
import { startFixture, type Fixture } from './fixture-server.ts';

let fx: Fixture;
const clients: NodePollingClient[] = [];
const client = (opts: Partial<ConstructorParameters<typeof NodePollingClient>[0]> = {}) => {
  const c = new NodePollingClient({ baseUrl: fx.baseUrl, auth: (connects) => ({ clientId: 'c1', connects }), ...opts });
  clients.push(c);
  return c;
};

beforeAll(async () => { fx = await startFixture(); });
afterAll(async () => { await fx.close(); });
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  fx.auths.length = 0;
  fx.disconnects.clear();
  fx.sockets.length = 0;
  fx.sessionUnknown.length = 0;
});

describe('EioSession over polling against socket.io', () => {
  it('drives handshake + CONNECT step by step with a plain fetch', async () => {
    const s = new EioSession({ baseUrl: fx.baseUrl, auth: { clientId: 'manual', connects: 0 } });
    const hs = s.handshakeRequest();
    expect(hs.url).toMatch(/\/socket\.io\/\?EIO=4&transport=polling&t=/);
    let res = await sendHttp(hs);
    let out = s.handleHttpResponse(hs, res.status, res.body);
    expect(out.classification).toBe('ok');
    expect(out.opened).toMatchObject({ pingInterval: 300, pingTimeout: 1_000, upgrades: [] });
    expect(s.state).toBe('open');

    const post = s.flushRequest();
    expect(post?.body).toBe('40{"clientId":"manual","connects":0}');
    res = await sendHttp(post!);
    expect(s.handleHttpResponse(post!, res.status, res.body).classification).toBe('ok');

    // CONNECT is handled after the io.use() middleware, so "40{sid}" and the snapshot may come
    // in one poll or in several (with pings in between): poll until both are there.
    const received: Inbound[] = [];
    let socketSid: string | undefined;
    for (let i = 0; i < 10 && !(socketSid && received.length > 0); i++) {
      const poll = s.pollRequest();
      res = await sendHttp(poll);
      out = s.handleHttpResponse(poll, res.status, res.body);
      expect(out.classification).toBe('ok');
      socketSid ??= out.connected?.sid;
      received.push(...out.received);
      const pong = s.flushRequest();
      if (pong) s.handleHttpResponse(pong, (res = await sendHttp(pong)).status, res.body);
    }
    expect(socketSid).toMatch(/.+/);
    expect(s.state).toBe('connected');
    expect(fx.auths).toEqual([{ clientId: 'manual', connects: 0 }]);
    expect(received[0]).toMatchObject({ kind: 'event', name: 'vehicles:snapshot', args: [{ version: 1, vehicles: expect.any(Array) }] });

    // Like engine.io-client: DISCONNECT first, the Engine.IO close packet in a POST of its own.
    s.close();
    const disconnect = s.flushRequest()!;
    expect(disconnect.body).toBe('41');
    res = await sendHttp(disconnect);
    expect(s.handleHttpResponse(disconnect, res.status, res.body).closed).toBeUndefined();
    const bye = s.flushRequest()!;
    expect(bye.body).toBe('1');
    res = await sendHttp(bye);
    expect(s.handleHttpResponse(bye, res.status, res.body).closed).toMatchObject({ reason: 'client close', lost: false });
    expect(s.flushRequest()).toBeNull();
    await expect.poll(() => fx.disconnects.get(s.socketId!)).toBe('client namespace disconnect');
  });

  it('connects with auth, receives the snapshot and keeps the session alive by answering pings', async () => {
    const c = client();
    const { socketId } = await c.connect();
    expect(fx.auths).toEqual([{ clientId: 'c1', connects: 0 }]);
    expect(fx.sockets[0]?.id).toBe(socketId);
    const snap = await c.waitForEvent('vehicles:snapshot');
    expect((snap.args[0] as { vehicles: unknown[] }).vehicles).toHaveLength(3);

    // pingInterval 300 + pingTimeout 1000: without pongs the server would drop us after ~1.3 s.
    await delay(2_000);
    expect(c.stats.pings).toBeGreaterThanOrEqual(2);
    expect(c.session.state).toBe('connected');
    expect(fx.disconnects.get(socketId)).toBeUndefined();
    expect(c.stats.byClass).not.toHaveProperty('session_unknown');
  });

  it('sends subscribe and gets the ack; only subscribed routes arrive afterwards', async () => {
    const c = client();
    await c.connect();
    const tracker = new TransitTracker();
    const seen: ReturnType<TransitTracker['observe']>[] = [];
    c.onOutput((out) => { for (const m of out.received) seen.push(tracker.observe(m, Date.now())); });
    const id = c.session.emit('subscribe', [{ routes: ['N', '38'] }], true)!;
    tracker.expectSubscribeAck(id, ['N', '38']);
    const ack = await c.emitWithAck('subscribe', [{ routes: ['N', '38'] }]);
    expect(ack).toEqual([{ status: 'ok', routes: ['N', '38'] }]);
    const delta = await c.waitForEvent('vehicles:delta');
    expect((delta.args[0] as { upserts: { routeId: string }[] }).upserts.map((v) => v.routeId).sort()).toEqual(['38', 'N']);
    expect(seen.some((o) => o.kind === 'subscribed')).toBe(true);
    const deltas = seen.filter((o) => o.kind === 'delta');
    expect(deltas.length).toBeGreaterThan(0);
    expect(deltas.every((o) => o.foreign === 0 && (o.latencyMs ?? -1) >= 0)).toBe(true);

    const bad = await c.emitWithAck('subscribe', [{ routes: 'N' }]);
    expect(bad).toEqual([{ status: 'error', message: 'routes must be an array of strings' }]);
  });

  it('classifies a poll with an unknown sid as session_unknown (400 code 1)', async () => {
    const url = buildEngineUrl({ baseUrl: fx.baseUrl, transport: 'polling', sid: 'no-such-session' });
    const res = await sendHttp({ kind: 'poll', method: 'GET', url, headers: {} });
    expect(res.status).toBe(400);
    expect(parseEngineIoError(res.body)).toEqual({ code: 1, message: 'Session ID unknown' });
    expect(classifyPollingResponse(res.status, res.body)).toBe('session_unknown');
    // Plain socket.io names no cause: the load tests count such a 400 as a failure.
    expect(res.headers['x-transit-session']).toBeUndefined();
    expect(fx.sessionUnknown).toEqual(['']);
  });

  it('classifies an EIO=3 handshake as protocol_mismatch (400 code 5)', async () => {
    const c = client({ eioVersion: 3 });
    const err = await c.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SessionFailure);
    expect((err as SessionFailure).close).toMatchObject({
      reason: 'http error', classification: 'protocol_mismatch', status: 400, lost: false, wasConnected: false,
    });
    expect(c.stats.byClass).toEqual({ protocol_mismatch: 1 });
  });

  it('reports CONNECT_ERROR from a middleware as a failed connect, not a lost session', async () => {
    const c = client({ auth: { clientId: 'refused', connects: 0 } });
    const err = (await c.connect().catch((e: unknown) => e)) as SessionFailure;
    expect(err.close).toMatchObject({ reason: 'connect error', lost: false, wasConnected: false, detail: 'clientId refused' });
  });

  it('reconnects with connects=1 after a 400 Session ID unknown mid-session (wrong worker)', async () => {
    let polls = 0;
    const misroute: FetchLike = (url, init) => {
      // The third poll of the first session lands on "another worker": it does not know the sid.
      const isPoll = init.method === 'GET' && url.includes('&sid=') && !url.includes('connects');
      if (isPoll && ++polls === 3) return fetch(url.replace(/sid=[^&]+/, 'sid=other-worker'), init as RequestInit);
      return fetch(url, init as RequestInit);
    };
    const c = client({ fetch: misroute, reconnect: true, reconnectDelayMs: 50 });
    await c.connect();
    await expect.poll(() => c.stats.reconnects, { timeout: 5_000 }).toBe(1);
    expect(c.stats.byClass.session_unknown).toBe(1);
    expect(c.stats.sessionLost).toBe(1);
    expect(c.stats.closes[0]).toMatchObject({ reason: 'http error', classification: 'session_unknown', lost: true, wasConnected: true });
    expect(fx.auths).toEqual([{ clientId: 'c1', connects: 0 }, { clientId: 'c1', connects: 1 }]);
  });

  it('treats a server-side Engine.IO close packet as session lost and reconnects', async () => {
    const c = client({ reconnect: true, reconnectDelayMs: 50 });
    await c.connect();
    fx.sockets[0]!.conn.close(); // e.g. worker recycled: engine.io sends "1" on the pending poll
    await expect.poll(() => c.stats.connects, { timeout: 5_000 }).toBe(2);
    expect(c.stats.closes[0]).toMatchObject({ reason: 'transport close', lost: true, classification: 'closed' });
    expect(c.stats.sessionLost).toBe(1);
    expect(c.stats.reconnects).toBe(1);
    expect(fx.auths.map((a) => a.connects)).toEqual([0, 1]);
  });

  it('closes cleanly: the server sees a client namespace disconnect', async () => {
    const c = client();
    const { socketId } = await c.connect();
    await c.close();
    await expect.poll(() => fx.disconnects.get(socketId)).toBe('client namespace disconnect');
    expect(c.session.closeInfo).toMatchObject({ reason: 'client close', lost: false });
    expect(c.stats.sessionLost).toBe(0);
  });
});

describe('x-transit-session against a server that names the cause (fixture sessionCauseHeader / endFirstAfterMs)', () => {
  let tagged: Fixture;
  beforeAll(async () => { tagged = await startFixture({ endFirstAfterMs: 300 }); });
  afterAll(async () => { await tagged.close(); });

  it('an id never issued is answered 400 with x-transit-session: unknown', async () => {
    const url = buildEngineUrl({ baseUrl: tagged.baseUrl, transport: 'polling', sid: 'forged' });
    const res = await sendHttp({ kind: 'poll', method: 'GET', url, headers: {} });
    expect(res.status).toBe(400);
    expect(res.headers['x-transit-session']).toBe('unknown');
    const s = new EioSession({ baseUrl: tagged.baseUrl });
    expect(s.handleHttpResponse({ kind: 'poll', method: 'GET', url, headers: {} }, res.status, res.body, 0, res.headers).sessionCause).toBe('unknown');
  });

  it('a session the server ended: 400 x-transit-session: ended, counted by cause, the client reconnects', async () => {
    const c = new NodePollingClient({ baseUrl: tagged.baseUrl, reconnect: true, reconnectDelayMs: 50, auth: (connects) => ({ clientId: 'ended', connects }) });
    clients.push(c);
    tagged.sessionUnknown.length = 0;
    await c.connect();
    await expect.poll(() => c.stats.connects, { timeout: 10_000 }).toBe(2);
    expect(c.stats.byClass.session_unknown).toBeGreaterThanOrEqual(1);
    expect(c.stats.byCause).toEqual({ ended: c.stats.byClass.session_unknown });
    expect(c.stats.closes[0]).toMatchObject({ reason: 'http error', classification: 'session_unknown', sessionCause: 'ended', lost: true, wasConnected: true });
    expect(c.stats.reconnects).toBe(1);
    expect(tagged.sessionUnknown.length).toBeGreaterThanOrEqual(1);
    expect(tagged.sessionUnknown.filter((cause) => cause !== 'ended')).toEqual([]);
  });
});

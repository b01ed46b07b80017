/** EioSession state machine fed with canned responses/frames (no server). */
import { describe, expect, it } from 'vitest';
import { EioSession, RECORD_SEPARATOR, buildEngineUrl } from '../../loadtest/lib/engineio.ts';

const OPEN = '0{"sid":"eio1","upgrades":["websocket"],"pingInterval":1000,"pingTimeout":500,"maxPayload":1000000}';
const SEP = RECORD_SEPARATOR;

function openPolling(auth?: Record<string, unknown>) {
  const s = new EioSession({ baseUrl: 'http://h:1/', auth });
  const out = s.handleHttpResponse(s.handshakeRequest(), 200, OPEN, 0);
  return { s, out };
}
function connected() {
  const { s } = openPolling({ clientId: 'c', connects: 0 });
  s.flushRequest();
  const out = s.handleHttpResponse(s.pollRequest(), 200, '40{"sid":"sock1"}', 10);
  expect(out.connected).toEqual({ sid: 'sock1' });
  return s;
}

describe('EioSession (polling)', () => {
  it('builds browser-like URLs', () => {
    expect(buildEngineUrl({ baseUrl: 'http://h:1/', transport: 'polling', sid: 'a b', t: 'T' })).toBe('http://h:1/socket.io/?EIO=4&transport=polling&t=T&sid=a%20b');
    expect(buildEngineUrl({ baseUrl: 'https://h', path: 'rt/', transport: 'websocket', eioVersion: 3, query: { x: '1' } })).toBe('https://h/rt/?x=1&EIO=3&transport=websocket');
    const s = new EioSession({ baseUrl: 'https://h' });
    expect(s.websocketUrl()).toBe('wss://h/socket.io/?EIO=4&transport=websocket');
    expect(() => s.handshakeRequest()).toThrow(/handshake in state opening/);
    expect(() => new EioSession({ baseUrl: 'http://h' }).pollRequest()).toThrow(/no sid yet/);
  });

  it('opens, queues CONNECT with auth, then connects', () => {
    const { s, out } = openPolling({ clientId: 'c', connects: 3 });
    expect(out.opened?.sid).toBe('eio1');
    expect(s.state).toBe('open');
    expect(s.pollRequest().url).toMatch(/&sid=eio1$/);
    const post = s.flushRequest()!;
    expect(post).toMatchObject({ method: 'POST', body: '40{"clientId":"c","connects":3}', headers: { 'Content-Type': 'text/plain;charset=UTF-8' } });
    expect(s.flushRequest()).toBeNull();
    expect(s.handleHttpResponse(post, 200, 'ok').errors).toEqual([]);
  });

  it('answers pings (with probe data) and tracks lastPingAt', () => {
    const s = connected();
    const out = s.handleHttpResponse(s.pollRequest(), 200, `2${SEP}2probe`, 500);
    expect(out.pings).toBe(2);
    expect(s.lastPingAt).toBe(500);
    expect(s.flushRequest()?.body).toBe(`3${SEP}3probe`);
    expect(s.checkHeartbeat(2000)).toBeNull();
    expect(s.checkHeartbeat(2001)?.closed).toMatchObject({ reason: 'ping timeout', lost: true, wasConnected: true });
  });

  it('buffers emits until connected, then sends them after CONNECT', () => {
    const { s } = openPolling();
    expect(s.emit('subscribe', [{ routes: ['N'] }], true, 0)).toBe(0);
    expect(s.flushRequest()?.body).toBe('40');
    s.handleHttpResponse(s.pollRequest(), 200, '40{"sid":"x"}', 0);
    expect(s.flushRequest()?.body).toBe('420["subscribe",{"routes":["N"]}]');
    const out = s.handleHttpResponse(s.pollRequest(), 200, `430[{"status":"ok","routes":["N"]}]${SEP}42["vehicles:delta",{}]`, 40);
    expect(out.received).toEqual([
      { kind: 'ack', id: 0, args: [{ status: 'ok', routes: ['N'] }], rttMs: 40 },
      { kind: 'event', name: 'vehicles:delta', args: [{}] },
    ]);
  });

  it('exposes server ack requests and answers them', () => {
    const s = connected();
    const out = s.handleHttpResponse(s.pollRequest(), 200, '427["ping?"]', 0);
    expect(out.received).toEqual([{ kind: 'event', name: 'ping?', args: [], ackId: 7 }]);
    s.ack(7, ['pong!']);
    expect(s.flushRequest()?.body).toBe('437["pong!"]');
  });

  it('ignores packets of other namespaces, noop and upgrade', () => {
    const s = connected();
    const out = s.handleHttpResponse(s.pollRequest(), 200, `42/admin,["x"]${SEP}6${SEP}5`, 0);
    expect(out.received).toEqual([]);
    expect(s.state).toBe('connected');
  });

  it.each([
    ['1', 'transport close', 'closed', true],
    ['41', 'server disconnect', 'ok', true],
    ['44{"message":"nope"}', 'connect error', 'ok', false],
  ] as const)('poll %j ends the session: %s', (body, reason, classification, lost) => {
    const s = connected();
    const out = s.handleHttpResponse(s.pollRequest(), 200, body, 0);
    expect(out.classification).toBe(classification);
    expect(out.closed).toMatchObject({ reason, lost });
    expect(s.state).toBe('closed');
  });

  it('a 400 Session ID unknown ends an open session as lost, with detail', () => {
    const s = connected();
    const out = s.handleHttpResponse(s.pollRequest(), 400, '{"code":1,"message":"Session ID unknown"}');
    expect(out.classification).toBe('session_unknown');
    expect(out.closed).toEqual({
      reason: 'http error', lost: true, wasConnected: true, classification: 'session_unknown', status: 400,
      detail: 'GET poll → 400 code 1 Session ID unknown',
    });
    expect(s.flushRequest()).toBeNull();
  });

  it('a 400 Session ID unknown carries the cause of its x-transit-session header', () => {
    const s = connected();
    const out = s.handleHttpResponse(s.pollRequest(), 400, '{"code":1,"message":"Session ID unknown"}', 0, { 'X-Transit-Session': 'ended' });
    expect(out).toMatchObject({ classification: 'session_unknown', sessionCause: 'ended' });
    expect(out.closed).toEqual({
      reason: 'http error', lost: true, wasConnected: true, classification: 'session_unknown', sessionCause: 'ended', status: 400,
      detail: 'GET poll → 400 code 1 Session ID unknown (ended)',
    });
    // Other answers carry no cause, whatever the headers say.
    const t = connected();
    expect(t.handleHttpResponse(t.pollRequest(), 200, '6', 0, { 'x-transit-session': 'ended' }).sessionCause).toBeUndefined();
  });

  it('a failed handshake is not a lost session', () => {
    const s = new EioSession({ baseUrl: 'http://h' });
    const out = s.handleHttpResponse(s.handshakeRequest(), 0, null);
    expect(out.closed).toMatchObject({ reason: 'http error', lost: false, classification: 'network_error' });
  });

  it('malformed payloads end the session with a protocol error', () => {
    const s = connected();
    const out = s.handleHttpResponse(s.pollRequest(), 200, '4{"not":"sio"}', 0);
    expect(out.closed?.reason).toBe('protocol error');
    expect(out.errors[0]).toMatch(/INVALID_SOCKETIO_PACKET/);
    const h = new EioSession({ baseUrl: 'http://h' });
    expect(h.handleHttpResponse(h.handshakeRequest(), 200, '40', 0).closed?.detail).toMatch(/expected open packet first/);
  });

  it('close(): DISCONNECT, then the close packet alone, then client close', () => {
    const s = connected();
    s.close();
    expect(s.hasOutgoing()).toBe(true);
    const d = s.flushRequest()!;
    expect(d.body).toBe('41');
    expect(s.handleHttpResponse(d, 200, 'ok').closed).toBeUndefined();
    const c = s.flushRequest()!;
    expect(c.body).toBe('1');
    expect(s.handleHttpResponse(c, 200, 'ok').closed).toMatchObject({ reason: 'client close', lost: false });
    expect(s.hasOutgoing()).toBe(false);
    expect(s.emit('late')).toBeUndefined();
  });
});

describe('EioSession (websocket frames)', () => {
  it('opens on the first frame, sends one frame per packet, ends on close', () => {
    const s = new EioSession({ baseUrl: 'http://h:8080', transport: 'websocket', auth: { clientId: 'w', connects: 0 } });
    expect(s.websocketUrl()).toBe('ws://h:8080/socket.io/?EIO=4&transport=websocket');
    expect(s.handleWsMessage(OPEN, 0).opened?.sid).toBe('eio1');
    expect(s.takeFrames()).toEqual(['40{"clientId":"w","connects":0}']);
    expect(s.handleWsMessage('40{"sid":"s"}').connected).toEqual({ sid: 's' });
    expect(s.handleWsMessage('2').pings).toBe(1);
    s.emit('subscribe', [{ routes: ['N'] }], true);
    expect(s.takeFrames()).toEqual(['3', '420["subscribe",{"routes":["N"]}]']);
    s.close();
    expect(s.takeFrames()).toEqual(['41']);
    expect(s.hasOutgoing()).toBe(false);
    expect(s.handleWsClose().closed).toMatchObject({ reason: 'client close', lost: false });
  });

  it('a dropped socket is a lost session; an error before open is a failed connect', () => {
    const s = new EioSession({ baseUrl: 'http://h', transport: 'websocket' });
    s.websocketUrl();
    s.handleWsMessage(OPEN);
    expect(s.handleWsClose('reset').closed).toMatchObject({ reason: 'transport error', lost: true, wasConnected: false });
    const f = new EioSession({ baseUrl: 'http://h', transport: 'websocket' });
    f.websocketUrl();
    const out = f.handleWsClose('refused', true);
    expect(out.classification).toBe('network_error');
    expect(out.closed).toMatchObject({ reason: 'transport error', lost: false, detail: 'refused' });
  });
});

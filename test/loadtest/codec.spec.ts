/** Engine.IO v4 / Socket.IO v5 codecs and the polling-response classifier. */
import { describe, expect, it } from 'vitest';
import {
  ProtocolError, RECORD_SEPARATOR, classifyPollingResponse, decodeEnginePacket, decodePayload, decodeSocketPacket,
  encodeEnginePacket, encodePayload, encodeSocketPacket, headerValue, isEndedSessionAnswer, parseEngineIoError, parseOpenPacket,
  sessionUnknownCause, type EnginePacket, type SocketPacket,
} from '../../loadtest/lib/engineio.ts';

function protocolError(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error('expected a ProtocolError');
}

describe('Engine.IO packets', () => {
  const packets: [EnginePacket, string][] = [
    [{ type: 'open', data: '{"sid":"x"}' }, '0{"sid":"x"}'],
    [{ type: 'close' }, '1'],
    [{ type: 'ping' }, '2'],
    [{ type: 'pong' }, '3'],
    [{ type: 'ping', data: 'probe' }, '2probe'],
    [{ type: 'pong', data: 'probe' }, '3probe'],
    [{ type: 'message', data: '2["a"]' }, '42["a"]'],
    [{ type: 'message', data: 'héllo ✓' }, '4héllo ✓'],
    [{ type: 'upgrade' }, '5'],
    [{ type: 'noop' }, '6'],
  ];
  it.each(packets)('round-trips %j', (packet, wire) => {
    expect(encodeEnginePacket(packet)).toBe(wire);
    expect(decodeEnginePacket(wire)).toEqual(packet);
  });

  it('joins and splits polling payloads on the record separator', () => {
    const list: EnginePacket[] = [{ type: 'message', data: '40{"sid":"s"}' }, { type: 'ping' }, { type: 'message', data: '2["x",1]' }];
    const body = encodePayload(list);
    expect(body).toBe(`440{"sid":"s"}${RECORD_SEPARATOR}2${RECORD_SEPARATOR}42["x",1]`);
    expect(decodePayload(body)).toEqual(list);
    expect(decodePayload('6')).toEqual([{ type: 'noop' }]);
  });

  it('rejects malformed packets with clear errors', () => {
    expect(protocolError(() => decodeEnginePacket('')).code).toBe('EMPTY_PACKET');
    expect(protocolError(() => decodePayload('')).code).toBe('EMPTY_PACKET');
    expect(protocolError(() => decodePayload(`2${RECORD_SEPARATOR}`)).code).toBe('EMPTY_PACKET');
    const unknown = protocolError(() => decodeEnginePacket('9x'));
    expect(unknown.code).toBe('UNKNOWN_PACKET_TYPE');
    expect(unknown.message).toContain('"9"');
    expect(protocolError(() => decodeEnginePacket('x')).code).toBe('UNKNOWN_PACKET_TYPE');
    const binary = protocolError(() => decodeEnginePacket('bAQID'));
    expect(binary.code).toBe('BINARY_UNSUPPORTED');
    expect(binary.message).toMatch(/base64 binary packets are not supported/);
  });

  it('parses and validates the open packet', () => {
    const open = decodeEnginePacket('0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}');
    expect(parseOpenPacket(open)).toEqual({ sid: 'abc', upgrades: ['websocket'], pingInterval: 25000, pingTimeout: 20000, maxPayload: 1000000 });
    expect(protocolError(() => parseOpenPacket({ type: 'open', data: '{"sid":' })).code).toBe('INVALID_JSON');
    expect(protocolError(() => parseOpenPacket({ type: 'open', data: '{"pingInterval":1,"pingTimeout":1}' })).message).toMatch(/missing sid/);
    expect(protocolError(() => parseOpenPacket({ type: 'open', data: '{"sid":"a","pingInterval":0,"pingTimeout":1}' })).message).toMatch(/pingInterval/);
    expect(protocolError(() => parseOpenPacket({ type: 'ping' })).code).toBe('INVALID_HANDSHAKE');
  });
});

describe('Socket.IO packets', () => {
  const packets: [SocketPacket, string][] = [
    [{ type: 'CONNECT', nsp: '/' }, '0'],
    [{ type: 'CONNECT', nsp: '/', data: { clientId: 'c', connects: 2 } }, '0{"clientId":"c","connects":2}'],
    [{ type: 'CONNECT', nsp: '/admin', data: { token: 't' } }, '0/admin,{"token":"t"}'],
    [{ type: 'DISCONNECT', nsp: '/' }, '1'],
    [{ type: 'DISCONNECT', nsp: '/admin' }, '1/admin,'],
    [{ type: 'EVENT', nsp: '/', name: 'vehicles:delta', args: [{ version: 2 }] }, '2["vehicles:delta",{"version":2}]'],
    [{ type: 'EVENT', nsp: '/', id: 12, name: 'subscribe', args: [{ routes: ['N'] }] }, '212["subscribe",{"routes":["N"]}]'],
    [{ type: 'EVENT', nsp: '/admin', id: 3, name: 'x', args: [] }, '2/admin,3["x"]'],
    [{ type: 'ACK', nsp: '/', id: 12, args: [{ status: 'ok', routes: ['N'] }] }, '312[{"status":"ok","routes":["N"]}]'],
    [{ type: 'CONNECT_ERROR', nsp: '/', data: { message: 'nope', data: { why: 1 } } }, '4{"message":"nope","data":{"why":1}}'],
  ];
  it.each(packets)('round-trips %j', (packet, wire) => {
    expect(encodeSocketPacket(packet)).toBe(wire);
    expect(decodeSocketPacket(wire)).toEqual(packet);
  });

  it('decodes a CONNECT_ERROR given as a bare string', () => {
    expect(decodeSocketPacket('4"Invalid namespace"')).toEqual({ type: 'CONNECT_ERROR', nsp: '/', data: { message: 'Invalid namespace' } });
  });

  it.each([
    ['', /empty Socket.IO packet/],
    ['7', /unknown Socket.IO packet type "7"/],
    ['2{"a":1}', /EVENT payload must be an array/],
    ['2[1]', /EVENT payload must be an array starting with the event name/],
    ['2["connect"]', /reserved name "connect"/],
    ['3["x"]', /ACK without an ack id/],
    ['31{"a":1}', /ACK payload must be an array/],
    ['0[1]', /CONNECT payload must be an object/],
    ['1{}', /DISCONNECT takes no payload/],
    ['4{}', /CONNECT_ERROR payload must be/],
    ['2["x",', /INVALID_JSON/],
  ])('rejects %j', (wire, message) => {
    expect(() => decodeSocketPacket(wire)).toThrow(message);
    expect(() => decodeSocketPacket(wire)).toThrow(ProtocolError);
  });

  it('rejects binary packets as unsupported', () => {
    const err = protocolError(() => decodeSocketPacket('51-["x",{"_placeholder":true,"num":0}]'));
    expect(err.code).toBe('UNSUPPORTED_SOCKETIO_PACKET');
    expect(protocolError(() => decodeSocketPacket('61-0[]')).code).toBe('UNSUPPORTED_SOCKETIO_PACKET');
  });
});

describe('classifyPollingResponse', () => {
  it.each([
    [200, '40{"sid":"x"}', 'ok'],
    [200, 'ok', 'ok'],
    [200, '6', 'ok'],
    [200, '1', 'closed'],
    [200, `42["a"]${RECORD_SEPARATOR}1`, 'closed'],
    [400, '{"code":0,"message":"Transport unknown"}', 'transport_unknown'],
    [400, '{"code":1,"message":"Session ID unknown"}', 'session_unknown'],
    [400, '{"code":2,"message":"Bad handshake method"}', 'bad_handshake_method'],
    [400, '{"code":3,"message":"Bad request"}', 'bad_request'],
    [403, '{"code":4,"message":"Forbidden"}', 'forbidden'],
    [400, '{"code":5,"message":"Unsupported protocol version"}', 'protocol_mismatch'],
    [400, '', 'bad_request'],
    [400, null, 'bad_request'],
    [400, '{"code":99}', 'bad_request'],
    [400, '<html>nginx</html>', 'bad_request'],
    [403, 'denied', 'forbidden'],
    [413, '', 'payload_too_large'],
    [500, 'boom', 'server_error'],
    [502, '', 'server_error'],
    [0, null, 'network_error'],
    [404, 'Not Found', 'unexpected_status'],
    [302, '', 'unexpected_status'],
  ] as const)('%i %j → %s', (status, body, expected) => {
    expect(classifyPollingResponse(status, body)).toBe(expected);
  });

  it('parses Engine.IO error bodies', () => {
    expect(parseEngineIoError('{"code":1,"message":"Session ID unknown"}')).toEqual({ code: 1, message: 'Session ID unknown' });
    expect(parseEngineIoError('{"message":"x"}')).toBeNull();
    expect(parseEngineIoError('{oops')).toBeNull();
    expect(parseEngineIoError(undefined)).toBeNull();
  });
});

describe('x-transit-session: the cause of a 400 Session ID unknown', () => {
  it.each([
    // k6 canonicalises header names, Node lower-cases them: either is found.
    [{ 'X-Transit-Session': 'ended' }, 'ended'],
    [{ 'x-transit-session': 'misrouted' }, 'misrouted'],
    [{ 'x-transit-session': ' Unknown ' }, 'unknown'],
    [{ 'x-transit-session': ['ended', 'unknown'] }, 'ended'],
    // No header (an older server) or a value nobody defined: no cause, so it counts as a failure.
    [{}, undefined],
    [undefined, undefined],
    [{ 'x-transit-session': 'gone' }, undefined],
    [{ 'x-other': 'ended' }, undefined],
  ] as const)('%j → %s', (headers, cause) => {
    expect(sessionUnknownCause('session_unknown', headers)).toBe(cause);
  });

  it('is read only on a session_unknown answer', () => {
    expect(sessionUnknownCause('bad_request', { 'x-transit-session': 'ended' })).toBeUndefined();
    expect(sessionUnknownCause('ok', { 'x-transit-session': 'ended' })).toBeUndefined();
  });

  it('only session_unknown + ended is the expected 400', () => {
    expect(isEndedSessionAnswer({ classification: 'session_unknown', sessionCause: 'ended' })).toBe(true);
    expect(isEndedSessionAnswer({ classification: 'session_unknown', sessionCause: 'misrouted' })).toBe(false);
    expect(isEndedSessionAnswer({ classification: 'session_unknown', sessionCause: 'unknown' })).toBe(false);
    expect(isEndedSessionAnswer({ classification: 'session_unknown' })).toBe(false);
    expect(isEndedSessionAnswer({ classification: 'bad_request', sessionCause: 'ended' })).toBe(false);
  });

  it('headerValue is case-insensitive and takes the first of a list', () => {
    expect(headerValue({ 'Content-Type': 'text/plain' }, 'content-type')).toBe('text/plain');
    expect(headerValue({ a: ['1', '2'] }, 'A')).toBe('1');
    expect(headerValue({ a: [] }, 'a')).toBeUndefined();
    expect(headerValue(null, 'a')).toBeUndefined();
  });
});

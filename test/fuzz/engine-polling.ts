import fc from 'fast-check';
import { decodeEnginePacket, parseEngineIoError, parseOpenPacket, type OpenPacketData } from '../../loadtest/lib/engineio.ts';
import { originAllowed } from '../../src/gateway/origin.js';
import type { RawAnswer } from '../support/raw-http.js';
import { answered, request } from './request.js';
import type { Verdict } from './tally.js';

/**
 * Engine.IO v4 over HTTP long-polling. Two kinds of input:
 * - a request with bad query parameters, method or Origin, no session needed: answered with
 *   the Engine.IO error code that the reference server's `verify` order gives (transport,
 *   sid, method, websocket-without-upgrade, Origin, protocol version);
 * - a POST of a bad payload to a fresh session: the session is closed (the next GET gets the
 *   close packet or `400 Session ID unknown`, tagged `ended`), or the body is refused (413
 *   over maxPayload, 400 for a binary content type).
 */
export type PollingInput =
  | { kind: 'query'; method: string; query: [string, string][]; origin?: string }
  | { kind: 'payload'; family: string; body: string }
  | { kind: 'oversize'; factor: number }
  | { kind: 'octet-stream'; body: Uint8Array };

const b64url = fc.stringMatching(/^[A-Za-z0-9_-]{20}$/);
/** Session ids: random text, or well-formed ones that name a worker (ours or not) but were never issued. */
const forgedSid = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.tuple(fc.constantFrom(1, 2, 3, 99, 36 ** 6), b64url).map(([w, r]) => `${w.toString(36)}.${r}`),
  fc.tuple(fc.stringMatching(/^[a-z]{1,12}$/), fc.constantFrom(1, 2), b64url).map(([i, w, r]) => `${i}~${w.toString(36)}.${r}`),
);
/** A query parameter given once, twice or (1 time in `freq`) not at all. */
const param = (name: string, values: fc.Arbitrary<string>, freq = 5) =>
  fc.option(fc.array(values.map((v) => [name, v] as [string, string]), { minLength: 1, maxLength: 2 }), { nil: undefined, freq });

const queryInput: fc.Arbitrary<PollingInput> = fc
  .record({
    method: fc.constantFrom('GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
    // Weighted so that every check of the verify order is reached, not only the first (transport).
    eio: param('EIO', fc.oneof({ weight: 3, arbitrary: fc.constant('4') }, fc.constantFrom('3', '5', '', '04', '4.0', 'four'), fc.stringMatching(/^[0-9]{2,30}$/))),
    transport: param('transport', fc.oneof({ weight: 6, arbitrary: fc.constant('polling') }, fc.constantFrom('websocket', 'webtransport', 'POLLING', '', 'xhr-polling', 'flashsocket'), fc.string({ maxLength: 12 }))),
    sid: param('sid', forgedSid, 2),
    junk: fc.array(fc.tuple(fc.stringMatching(/^[a-z]{1,6}$/), fc.string({ maxLength: 10 })), { maxLength: 3 }),
    origin: fc.option(fc.constantFrom('https://evil.example', 'null', 'http://127.0.0.1.evil.example', 'file://', 'garbage'), { nil: undefined, freq: 2 }),
  })
  .map(({ method, eio, transport, sid, junk, origin }) => ({
    kind: 'query' as const,
    method,
    query: [...(eio ?? []), ...(transport ?? []), ...(sid ?? []), ...junk.filter(([k]) => !['eio', 'transport', 'sid', 'j', 'b64'].includes(k.toLowerCase()))],
    origin,
  }))
  .filter((q) => expectedCode(q, 'x') !== null);

/** An Engine.IO record that no v4 server may accept from a client before its Socket.IO CONNECT. */
export const fatalRecord: fc.Arbitrary<readonly [string, string]> = fc.oneof(
  fc.tuple(fc.stringMatching(/^[7-9A-Za-ac-z]$/), fc.string({ maxLength: 30 })).map(([t, d]) => ['unknown engine.io packet type', `${t}${d}`] as const),
  fc.string({ maxLength: 10 }).map((d) => ['ping from the client', `2${d}`] as const),
  fc.uint8Array({ maxLength: 64 }).map((b) => ['binary "b" packet before CONNECT', `b${Buffer.from(b).toString('base64')}`] as const),
  fc.tuple(fc.constantFrom(7, 8, 9, 70, 99), fc.string({ maxLength: 20 })).map(([n, d]) => ['Engine.IO v3 length framing', `${n}:${d}`] as const),
  fc.tuple(fc.stringMatching(/^[7-9a-z]$/), fc.string({ maxLength: 20 })).map(([t, d]) => ['unknown socket.io packet type', `4${t}${d}`] as const),
  fc.constantFrom('42["subscribe",{"routes":[]}]', '421["subscribe"]', '41', '43[]', '44{"message":"x"}').map((s) => ['socket.io packet before CONNECT', s] as const),
  fc.oneof(fc.constantFrom('"str"', '[1]', 'null', 'true', '""'), fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/^\s*[{/0-9]/.test(s))).map((p) => ['CONNECT with a non-object payload', `40${p}`] as const),
  fc.tuple(fc.constantFrom('', 'x', '0', '-1', '11', '1.5', '999999999999'), fc.constantFrom('-', '', '-["subscribe",{"_placeholder":true,"num":0}]')).map(([n, rest]) => ['binary event with bad attachments', `45${n}${rest}`] as const),
);
const payloadInput: fc.Arbitrary<PollingInput> = fc
  .tuple(fc.array(fc.constantFrom('6', '3'), { maxLength: 2 }), fatalRecord)
  .map(([ok, [family, bad]]) => ({ kind: 'payload' as const, family, body: [...ok, bad].join('\x1e') }));

export const pollingInputs: fc.Arbitrary<PollingInput> = fc.oneof(
  { weight: 10, arbitrary: queryInput },
  { weight: 12, arbitrary: payloadInput },
  { weight: 1, arbitrary: fc.double({ min: 1.01, max: 1.5, noNaN: true }).map((factor) => ({ kind: 'oversize' as const, factor })) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 64 }).map((body) => ({ kind: 'octet-stream' as const, body })) },
);

const MESSAGES: Record<number, string> = { 0: 'Transport unknown', 1: 'Session ID unknown', 2: 'Bad handshake method', 3: 'Bad request', 4: 'Forbidden', 5: 'Unsupported protocol version' };

/**
 * Engine.IO 6's answer to a request without a live session, in the order its `verify` and
 * `handshake` check (last value of a repeated parameter wins, as in its query parsing), or
 * null for a request it would accept (a valid handshake: not a malformed input).
 */
export function expectedCode(q: Extract<PollingInput, { kind: 'query' }>, host: string): number | null {
  const p = Object.fromEntries(q.query);
  if (p.transport !== 'polling' && p.transport !== 'websocket') return 0;
  if (p.sid) return 1;
  if (q.method !== 'GET') return 2;
  if (p.transport === 'websocket') return 3;
  if (!originAllowed(q.origin, host, [])) return 4;
  if (p.EIO !== '4') return 5;
  return null;
}

const enc = (query: [string, string][]) => query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
const ENGINE = '/socket.io/';

export async function runPollingInput(port: number, input: PollingInput): Promise<Verdict> {
  if (input.kind === 'query') return runQuery(port, input);
  const open = await handshake(port);
  if ('failure' in open) return open;
  const url = `${ENGINE}?EIO=4&transport=polling&sid=${encodeURIComponent(open.sid)}`;
  if (input.kind === 'oversize') {
    const size = Math.ceil(open.maxPayload * input.factor);
    const a = answered(await request(port, 'POST', url, { body: `4${'x'.repeat(size)}`, headers: { 'Content-Type': 'text/plain;charset=UTF-8' } }));
    await request(port, 'POST', url, { body: '1' }); // the session is still open: close it
    return a?.status === 413 ? { reason: 'POST over maxPayload: 413' } : { failure: `POST of ${size + 1} bytes (maxPayload ${open.maxPayload}) answered ${show(a)}` };
  }
  const post =
    input.kind === 'octet-stream'
      ? await request(port, 'POST', url, { body: Buffer.from(input.body), headers: { 'Content-Type': 'application/octet-stream' } })
      : await request(port, 'POST', url, { body: input.body, headers: { 'Content-Type': 'text/plain;charset=UTF-8' } });
  const family = input.kind === 'octet-stream' ? 'binary content type' : input.family;
  // Socket.IO's decoder errors close the session while the POST is being read: Engine.IO then
  // destroys that request (polling.doClose), so the POST is cut at once, never left hanging.
  const p = answered(post);
  const posted = p?.status === 200 && p.body === 'ok' ? 'ok' : p?.status === 400 && input.kind === 'octet-stream' ? '400' : post === 'closed' ? 'cut' : null;
  if (!posted) return { failure: `${family}: POST answered ${post === 'timeout' ? 'nothing within 3 s' : show(p)}` };
  const next = answered(await request(port, 'GET', url));
  if (next?.status === 200 && next.body.split('\x1e').includes('1')) return { reason: `${family}: POST ${posted}, session closed (close packet)` };
  if (next?.status === 400 && parseEngineIoError(next.body)?.code === 1 && next.headers['x-transit-session'] === 'ended') {
    return { reason: `${family}: POST ${posted}, session closed (400 Session ID unknown, ended)` };
  }
  return { failure: `${family}: session not closed; next GET answered ${show(next)}` };
}

const show = (a: RawAnswer | null) => (a ? `${a.status} ${a.body.slice(0, 80)}` : 'nothing (closed or 3 s without an answer)');

async function runQuery(port: number, q: Extract<PollingInput, { kind: 'query' }>): Promise<Verdict> {
  const host = `127.0.0.1:${port}`;
  const code = expectedCode(q, host)!;
  const headers: Record<string, string> = q.origin ? { Origin: q.origin } : {};
  const body = q.method === 'GET' || q.method === 'OPTIONS' ? undefined : '';
  const a = answered(await request(port, q.method, `${ENGINE}?${enc(q.query)}`, { headers, body }));
  const err = parseEngineIoError(a?.body);
  const status = code === 4 ? 403 : 400;
  if (a?.status !== status || err?.code !== code || err.message !== MESSAGES[code]) return { failure: `expected ${status} code ${code}, got ${show(a)}` };
  return { reason: `${a.status} code ${code} ${MESSAGES[code]}` };
}

/** A fresh polling session: its sid and maxPayload. */
export async function handshake(port: number): Promise<OpenPacketData | { failure: string }> {
  const a = answered(await request(port, 'GET', `${ENGINE}?EIO=4&transport=polling`));
  if (a?.status !== 200) return { failure: `handshake answered ${show(a)}` };
  return parseOpenPacket(decodeEnginePacket(a.body.split('\x1e')[0]!));
}

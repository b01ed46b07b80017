import { METHODS } from 'node:http';
import fc from 'fast-check';
import type { Gap } from '../support/raw-http.js';
import { refusalOf } from './answers.js';
import { exchange } from './request.js';
import type { Verdict } from './tally.js';

/** One malformed HTTP/1.1 request, as the bytes a client writes and how they are split. */
export interface RawRequest {
  family: string;
  pieces: Buffer[];
  gap: Gap;
}

const TARGETS = ['/healthz', '/api/vehicles', '/api/vehicles?routes=1', '/socket.io/?EIO=4&transport=polling', '/', '/readyz'];
const target = fc.constantFrom(...TARGETS);
const host = 'Host: 127.0.0.1\r\n';
const line = (method: string, path: string) => `${method} ${path} HTTP/1.1\r\n`;
/** Bytes the HTTP grammar forbids in a header name (RFC 9110 token). */
const NOT_TOKEN = [...' ()<>@,;\\"/[]?={}\x00\x01\x7f\x80\xff']; // not ':', which ends the name

/** A method the router's grammar refuses on sight: not upper-case letters, or longer than 16. */
const routerMethod = fc.oneof(
  fc.stringMatching(/^[a-z][a-z]{0,9}$/),
  fc.stringMatching(/^[A-Z]{0,4}[0-9!#$%&'*+.^_`|~-][A-Z0-9]{0,6}$/),
  fc.stringMatching(/^[A-Z]{17,40}$/),
);
/** Upper-case but no method Node knows: the router hands it on, the worker's parser refuses it. */
const unknownMethod = fc.stringMatching(/^[A-Z]{2,16}$/).filter((m) => !METHODS.includes(m));

const requestLine: fc.Arbitrary<readonly [string, string]> = fc.oneof(
  fc.tuple(routerMethod, target).map(([m, t]) => ['method refused by the router', `${m} ${t} HTTP/1.1\r\n${host}\r\n`] as const),
  fc.tuple(unknownMethod, target).map(([m, t]) => ['unknown method', `${m} ${t} HTTP/1.1\r\n${host}\r\n`] as const),
  fc.tuple(fc.constantFrom('GET', 'POST'), fc.stringMatching(/^\/[a-z]{0,5}[ \t][a-z]{0,5}$/)).map(([m, t]) => ['space in target', `${m} ${t} HTTP/1.1\r\n${host}\r\n`] as const),
  fc.tuple(target, fc.constantFrom('HTTP/2.0', 'HTTP/1.2', 'HTTP/1', 'http/1.1', 'HTTP/1.1x', 'HTTP/', '', 'HTTP/1.1 extra')).map(([t, v]) => ['bad version', `GET ${t} ${v}\r\n${host}\r\n`] as const),
  fc.integer({ min: 8200, max: 20_000 }).map((n) => ['request line over 8 KiB', `GET /${'a'.repeat(n)} HTTP/1.1\r\n${host}\r\n`] as const),
  fc.uint8Array({ minLength: 1, maxLength: 64 }).filter((b) => b[0]! < 0x41 || b[0]! > 0x5a).map((b) => ['binary noise', Buffer.from(b).toString('latin1')] as const),
  fc.uint8Array({ minLength: 4, maxLength: 60 }).map((b) => ['TLS client hello', `\x16\x03\x01${Buffer.from(b).toString('latin1')}`] as const),
);

const headerValue = fc.string({ unit: 'grapheme-ascii', maxLength: 20 }).map((s) => s.replace(/[\r\n\x00]/g, ''));
const badHeaders: fc.Arbitrary<readonly [string, string]> = fc.oneof(
  fc.tuple(fc.stringMatching(/^[A-Za-z]{1,8}$/), fc.constantFrom(...NOT_TOKEN), fc.stringMatching(/^[A-Za-z]{0,8}$/), headerValue).map(([a, bad, b, v]) => ['header name not a token', `${a}${bad}${b}: ${v}\r\n`] as const),
  fc.stringMatching(/^[A-Za-z-]{1,20}$/).map((s) => ['header line without colon', `${s}\r\n`] as const),
  fc.tuple(fc.stringMatching(/^X-[A-Za-z]{1,8}$/), headerValue, fc.constantFrom('\x00', '\r'), headerValue).map(([n, a, bad, b]) => ['control byte in header value', `${n}: ${a}${bad}${b}\r\n`] as const),
  fc.integer({ min: 17_000, max: 80_000 }).map((n) => ['one header over 16 KiB', `X-Big: ${'x'.repeat(n)}\r\n`] as const),
  fc.integer({ min: 600, max: 3_000 }).map((n) => ['headers over 16 KiB in total', Array.from({ length: n }, (_, i) => `X-H${i}: ${'y'.repeat(24)}\r\n`).join('')] as const),
);

const contentLength = fc.oneof(
  fc.constantFrom('abc', '-1', '1.5', '0x10', '5 5', '+5', '', '1e3', '١٢'),
  fc.stringMatching(/^[1-9][0-9]{20,60}$/),
  fc.tuple(fc.nat(99), fc.nat(99)).filter(([a, b]) => a !== b).map(([a, b]) => `${a}\r\nContent-Length: ${b}`),
);
const transferEncoding = fc.constantFrom('gzip', 'chunked, gzip', 'chunkedd', 'identity', 'chunked\r\nContent-Length: 3', 'x-custom', ',');

/** A chunked body that breaks the chunk grammar (RFC 9112 §7.1). */
const badChunks = fc.oneof(
  fc.stringMatching(/^[g-zG-Z]{1,6}$/).map((s) => `${s}\r\nabc\r\n0\r\n\r\n`),
  fc.stringMatching(/^[1-9a-f][0-9a-f]{16,40}$/).map((s) => `${s}\r\nabc\r\n0\r\n\r\n`),
  fc.integer({ min: 1, max: 9 }).map((n) => `${n}\r\n${'z'.repeat(n + 3)}\r\n0\r\n\r\n`),
  fc.integer({ min: 1, max: 9 }).map((n) => `${n}\r\n${'z'.repeat(n)}XX0\r\n\r\n`),
  fc.constantFrom('-5\r\nabcde\r\n0\r\n\r\n', '5\nabcde\n0\n\n', ' 5\r\nabcde\r\n0\r\n\r\n', '5;\x00\r\nabcde\r\n0\r\n\r\n'),
  fc.integer({ min: 17_000, max: 40_000 }).map((n) => `3;ext=${'e'.repeat(n)}\r\nabc\r\n0\r\n\r\n`),
);
const bodyTarget = fc.constantFrom('/api/vehicles', '/socket.io/?EIO=4&transport=polling&sid=forged', '/healthz');
const jsonType = 'Content-Type: application/json\r\n';

/**
 * Methods Node parses that no route serves. HEAD and OPTIONS are left out: their answers are
 * legitimate (a body-less 404; Express's 200 with `Allow`), not refusals to judge here.
 */
const unusualMethod = fc.constantFrom(...METHODS.filter((m) => !['GET', 'HEAD', 'POST', 'OPTIONS', 'CONNECT'].includes(m)));

/** Upgrades outside the Engine.IO path: 400 from the session guard. */
const upgradeElsewhere = fc
  .tuple(fc.constantFrom('/api/vehicles', '/healthz', '/', '/socket.io'), fc.constantFrom('websocket', 'h2c', 'foo'))
  .map(([t, u]) => ['Upgrade outside /socket.io/', `${line('GET', t)}${host}Connection: Upgrade\r\nUpgrade: ${u}\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`] as const);

const anyRequest: fc.Arbitrary<readonly [string, string]> = fc.oneof(
  requestLine,
  fc.tuple(unusualMethod, target).map(([m, t]) => ['method no route serves', `${line(m, t)}${host}\r\n`] as const),
  fc.constantFrom('127.0.0.1:443', 'example.com:80', '[::1]:22').map((t) => ['CONNECT', `CONNECT ${t} HTTP/1.1\r\n${host}\r\n`] as const),

  fc.tuple(fc.constantFrom('GET', 'POST'), target, badHeaders).map(([m, t, [family, h]]) => [family, `${line(m, t)}${host}${h}\r\n`] as const),
  fc.tuple(target).map(([t]) => ['HTTP/1.1 without Host', `${line('GET', t)}X-A: 1\r\n\r\n`] as const),
  fc.tuple(bodyTarget, contentLength).map(([t, cl]) => ['bad Content-Length', `${line('POST', t)}${host}${jsonType}Content-Length: ${cl}\r\n\r\n{}`] as const),
  fc.tuple(bodyTarget, transferEncoding).map(([t, te]) => ['bad Transfer-Encoding', `${line('POST', t)}${host}${jsonType}Transfer-Encoding: ${te}\r\n\r\n3\r\n{}\n\r\n0\r\n\r\n`] as const),
  fc.tuple(fc.constantFrom('/api/vehicles'), badChunks).map(([t, body]) => ['bad chunked body', `${line('POST', t)}${host}${jsonType}Transfer-Encoding: chunked\r\n\r\n${body}`] as const),
  fc.tuple(bodyTarget, fc.string({ maxLength: 40 }).filter((b) => !isJson(b))).map(([t, b]) => ['malformed JSON body', `${line('POST', t)}${host}${jsonType}Content-Length: ${Buffer.byteLength(b, 'latin1')}\r\n\r\n${b}`] as const),
  fc.tuple(bodyTarget, fc.constantFrom('utf-7', 'bogus', 'ebcdic', 'utf-32')).map(([t, cs]) => ['JSON body in an unknown charset', `${line('POST', t)}${host}Content-Type: application/json; charset=${cs}\r\nContent-Length: 2\r\n\r\n{}`] as const),
  fc.tuple(fc.constantFrom('/api/vehicles'), fc.integer({ min: 200_000, max: 2 ** 40 })).map(([t, n]) => ['Content-Length over the body limit', `${line('POST', t)}${host}${jsonType}Content-Length: ${n}\r\n\r\n{"routes":`] as const),
);

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const gap: fc.Arbitrary<Gap> = fc.oneof(fc.constant<Gap>('same-tick'), fc.constant<Gap>('next-tick'), fc.integer({ min: 1, max: 4 }));

/** Splits `bytes` at up to 5 random offsets (split writes: the request arrives in pieces). */
function splitAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % bytes.byteLength))].filter((c) => c > 0).sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const c of at) {
    pieces.push(bytes.subarray(from, c));
    from = c;
  }
  pieces.push(bytes.subarray(from));
  return pieces;
}

const request = fc.oneof({ weight: 30, arbitrary: anyRequest }, { weight: 1, arbitrary: upgradeElsewhere });

export const rawRequests: fc.Arbitrary<RawRequest> = fc
  .tuple(request, fc.array(fc.nat(), { maxLength: 5 }), gap)
  .map(([[family, text], cuts, g]) => {
    const bytes = Buffer.from(text, 'latin1');
    const pieces = splitAt(bytes, cuts);
    return { family: pieces.length > 1 ? `${family} (split)` : family, pieces, gap: pieces.length > 1 ? g : 'same-tick' };
  });

/**
 * Families the service answers with a silent close today, each reported to the owner of the
 * code that must answer it. Counted as `KNOWN GAP` rows (so the table shows them), not as
 * failures; a hang or a 5xx still fails. Delete an entry once its answer exists.
 */
const KNOWN_SILENT_CLOSES: Readonly<Record<string, string>> = {};

/** Sends one raw request on a fresh connection; the answer must be a specific 4xx within 3 s. */
export async function sendRawRequest(port: number, r: RawRequest): Promise<Verdict> {
  const outcome = await exchange(port, r.pieces, { gap: r.gap });
  const gap = KNOWN_SILENT_CLOSES[r.family.replace(/ \(split\)$/, '')];
  if (gap && outcome === 'closed') return { reason: `${r.family}: ${gap}` };
  const v = refusalOf(outcome);
  return 'reason' in v ? { reason: `${r.family}: ${v.reason}` } : { failure: `${r.family}: ${v.failure}` };
}

export const showRawRequest = (r: RawRequest): string => JSON.stringify({ family: r.family, gap: r.gap, pieces: r.pieces.map((p) => p.toString('latin1').slice(0, 200)) });

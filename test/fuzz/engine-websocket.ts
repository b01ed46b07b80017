import fc from 'fast-check';
import { refusalOf } from './answers.js';
import { fatalRecord } from './engine-polling.js';
import { exchange } from './request.js';
import type { Verdict } from './tally.js';
import { frame, WsSession, type Closed } from './ws-session.js';

/**
 * Engine.IO v4 over websocket: bad Engine.IO/Socket.IO text packets, binary frames, frames
 * that break RFC 6455 (written under the `ws` client, on its socket), a frame over
 * maxPayload, and upgrade requests the server must refuse over HTTP.
 */
export type WsInput =
  | { kind: 'text'; family: string; data: string }
  | { kind: 'binary'; data: Uint8Array }
  | { kind: 'frame'; family: string; bytes: Buffer }
  | { kind: 'oversize'; factor: number }
  | { kind: 'upgrade'; family: string; headers: string; query: string };

const payload = (max: number) => fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b));
const text = (s: string) => Buffer.from(s, 'utf8');

/** Frames the ws server must refuse (RFC 6455 §5, §7.4, §8.1). */
const badFrame: fc.Arbitrary<readonly [string, Buffer]> = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 7 }), fc.string({ maxLength: 20 })).map(([rsv, s]) => ['RSV bits set', frame({ rsv, opcode: 1, payload: text(`4${s}`) })] as const),
  fc.tuple(fc.constantFrom(3, 4, 5, 6, 7, 11, 12, 13, 14, 15), payload(20)).map(([opcode, p]) => ['reserved opcode', frame({ opcode, payload: p })] as const),
  fc.string({ maxLength: 20 }).map((s) => ['unmasked client frame', frame({ opcode: 1, payload: text(`4${s}`), mask: false })] as const),
  fc.tuple(fc.constantFrom(8, 9, 10), fc.uint8Array({ minLength: 126, maxLength: 300 }).map((b) => Buffer.from(b))).map(([opcode, p]) => ['control frame over 125 bytes', frame({ opcode, payload: p })] as const),
  fc.tuple(fc.constantFrom(9, 10), payload(20)).map(([opcode, p]) => ['fragmented control frame', frame({ opcode, payload: p, fin: false })] as const),
  payload(20).map((p) => ['continuation without a start', frame({ opcode: 0, payload: p })] as const),
  fc.string({ maxLength: 10 }).map((s) => ['new message inside a fragmented one', Buffer.concat([frame({ opcode: 1, payload: text(`4${s}`), fin: false }), frame({ opcode: 1, payload: text('4x') })])] as const),
  fc.constantFrom([0xc3, 0x28], [0xa0, 0xa1], [0xe2, 0x28, 0xa1], [0xf0, 0x28, 0x8c, 0x28], [0xed, 0xa0, 0x80], [0xff]).map((b) => ['invalid UTF-8 in a text frame', frame({ opcode: 1, payload: Buffer.from([0x34, ...b]) })] as const),
  fc.constantFrom(0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535).map((code) => ['close frame with an invalid code', frame({ opcode: 8, payload: Buffer.from([code >> 8, code & 0xff]) })] as const),
  fc.nat(255).map((b) => ['close frame with a 1-byte body', frame({ opcode: 8, payload: Buffer.from([b]) })] as const),
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 63n - 1n }).map((n) => ['64-bit length over 2^53', frame({ opcode: 1, payload: Buffer.alloc(0), declaredLength: n })] as const),
);

const upgrade: fc.Arbitrary<WsInput> = fc.oneof(
  fc.constantFrom('12', '', '7', '13, 8', 'abc', '14').map((v) => ['bad Sec-WebSocket-Version', `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: ${v}\r\n`, 'EIO=4&transport=websocket'] as const),
  fc.constantFrom('', 'short', 'dGhlIHNhbXBsZSBub25jZQ', '!!!!!!!!!!!!!!!!!!!!!!==').map((k) => ['bad Sec-WebSocket-Key', `Sec-WebSocket-Key: ${k}\r\nSec-WebSocket-Version: 13\r\n`, 'EIO=4&transport=websocket'] as const),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,30}$/).map((sid) => ['upgrade with a forged sid', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n', `EIO=4&transport=websocket&sid=${sid}`] as const),
  fc.constantFrom('https://evil.example', 'null').map((o) => ['upgrade from another origin', `Origin: ${o}\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n`, 'EIO=4&transport=websocket'] as const),
  fc.constantFrom('transport=foo', 'EIO=4', 'EIO=4&transport=webtransport').map((q) => ['upgrade with a bad transport', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n', q] as const),
).map(([family, headers, query]) => ({ kind: 'upgrade' as const, family, headers, query }));

export const wsInputs: fc.Arbitrary<WsInput> = fc.oneof(
  { weight: 6, arbitrary: fatalRecord.map(([family, data]) => ({ kind: 'text' as const, family, data })) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 64 }).map((data) => ({ kind: 'binary' as const, data })) },
  { weight: 8, arbitrary: badFrame.map(([family, bytes]) => ({ kind: 'frame' as const, family, bytes })) },
  { weight: 1, arbitrary: fc.double({ min: 1.01, max: 1.3, noNaN: true }).map((factor) => ({ kind: 'oversize' as const, factor })) },
  { weight: 3, arbitrary: upgrade },
);

const familyOf = (i: WsInput) => (i.kind === 'binary' ? 'binary frame before CONNECT' : i.kind === 'oversize' ? 'text frame over maxPayload' : i.family);

/** Runs one input on its own websocket; the server must close it (or refuse the upgrade) within 2 s. */
export async function runWsInput(port: number, input: WsInput): Promise<Verdict> {
  if (input.kind === 'upgrade') {
    const head =
      `GET /socket.io/?${input.query} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${input.headers}\r\n`;
    const r = refusalOf(await exchange(port, [head]));
    return 'reason' in r ? { reason: `${input.family}: ${r.reason}` } : { failure: `${input.family}: ${r.failure}` };
  }
  const s = await WsSession.connect(port, false);
  if (input.kind === 'text') s.ws.send(input.data);
  else if (input.kind === 'binary') s.ws.send(Buffer.from(input.data), { binary: true });
  else if (input.kind === 'frame') s.writeRaw(input.bytes);
  else s.ws.send(`4${'x'.repeat(Math.ceil(s.open.maxPayload * input.factor))}`);
  const closed = await s.closedWithin(2_000);
  s.end();
  return closed ? { reason: `${familyOf(input)}: closed ${describeClose(closed)}` } : { failure: `${familyOf(input)}: websocket still open after 2 s` };
}

/** `1002 (Invalid WebSocket frame: …)`, with the ws library's reason text cut to its kind. */
function describeClose(c: Closed): string {
  return c.reason ? `${c.code} ${c.reason.replace(/: .*$/, '')}` : String(c.code);
}

import fc from 'fast-check';
import { acceptedSubscribe, type SioStep } from './sio-steps.js';

/**
 * Socket.IO v5 packets on a connected session: CONNECTs to namespaces that do not exist, ack
 * ids from 1 to 400 digits (past 2^53 and past Number.MAX_VALUE), binary events with their
 * attachments, and packets the decoder must refuse (bad attachment counts, placeholders out
 * of range, text inside a binary packet, reserved event names, bad JSON, a second CONNECT).
 */
const PH = (n: number) => `{"_placeholder":true,"num":${n}}`;
const bytes = fc.uint8Array({ maxLength: 32 });

const namespace: fc.Arbitrary<SioStep> = fc
  .tuple(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }).map((s) => `/${s.replace(/,/g, '')}`).filter((n) => n !== '/'),
    fc.oneof(fc.constant(''), fc.constant('{}'), fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }).map((d) => JSON.stringify(d))),
  )
  .map(([nsp, auth]) => ({ kind: 'namespace' as const, nsp, auth }));

/** Ack ids as the wire carries them: digits only (the decoder reads an id while the next character is a digit). */
const ackId = fc.oneof(
  fc.stringMatching(/^[0-9]{1,15}$/).map((id) => ['ack id up to 15 digits', id] as const),
  fc.stringMatching(/^[1-9][0-9]{16,30}$/).map((id) => ['ack id past 2^53', id] as const),
  fc.stringMatching(/^[1-9][0-9]{309,400}$/).map((id) => ['ack id past Number.MAX_VALUE', id] as const),
  fc.stringMatching(/^0{2,20}[0-9]{1,3}$/).map((id) => ['ack id with leading zeros', id] as const),
);
const badArgs = fc.oneof(
  fc.constant<string[]>([]),
  fc.jsonValue({ maxDepth: 2 }).map((v) => [JSON.stringify(v)]),
  fc.array(fc.jsonValue({ maxDepth: 1 }).map((v) => JSON.stringify(v)), { minLength: 2, maxLength: 3 }),
).filter((args) => !acceptedSubscribe(args));

const ack: fc.Arbitrary<SioStep> = fc.tuple(ackId, badArgs).map(([[family, id], args]) => ({ kind: 'ack' as const, family, id, event: 'subscribe', args }));

const binaryAck: fc.Arbitrary<SioStep> = fc
  .tuple(
    fc.stringMatching(/^[0-9]{1,20}$/),
    fc.oneof(
      fc.array(bytes, { minLength: 1, maxLength: 1 }).map((parts) => [PH(0), parts] as const),
      fc.array(bytes, { minLength: 1, maxLength: 3 }).map((parts) => [`{"routes":[${parts.map((_, i) => PH(i)).join(',')}]}`, parts] as const),
      fc.array(bytes, { minLength: 2, maxLength: 10 }).map((parts) => [`{"routes":${PH(0)},"extra":[${parts.slice(1).map((_, i) => PH(i + 1)).join(',')}]}`, parts] as const),
    ),
  )
  .map(([id, [template, parts]]) => ({ kind: 'binary-ack' as const, family: `binary event with ${parts.length} attachment(s)`, id, template, parts }));

const fatal: fc.Arbitrary<SioStep> = fc
  .oneof(
    fc.constantFrom('-', 'x-', '0-', '11-', '1.5-', '99999999999-', '', 'x').map((n) => ['bad attachment count', [`45${n}["subscribe",${PH(0)}]`]] as const),
    fc.tuple(fc.integer({ min: 2, max: 10 }), bytes).map(([n, b]) => ['text packet inside a binary one', [`45${n}-["subscribe",${PH(0)}]`, b, '42["subscribe",{}]']] as const),
    fc.tuple(fc.constantFrom(1, 2, 9, -1, 1e9), bytes).map(([n, b]) => ['placeholder out of range', [`451-["subscribe",${PH(n)}]`, b]] as const),
    fc.constantFrom('connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener').map((e) => ['reserved event name', [`42["${e}",{}]`]] as const),
    fc.constantFrom('42[', '42{}', '42"x"', '42[]', '42[null]', '42[{}]', '42[true]', '42[["subscribe"]]', '43x').map((p) => ['event that is not an array of name and args', [p]] as const),
    fc.tuple(fc.stringMatching(/^[7-9a-zA-Z]$/), fc.string({ maxLength: 20 })).map(([t, d]) => ['unknown socket.io packet type', [`4${t}${d}`]] as const),
    fc.constantFrom('40', '40{}', '40{"token":"x"}').map((p) => ['second CONNECT to /', [p]] as const),
    bytes.map((b) => ['attachment nobody announced', [b]] as const),
  )
  .map(([family, frames]) => ({ kind: 'fatal' as const, family, frames: [...frames] }));

/** One session's worth: up to 7 packets it answers, then at most one that ends it. */
export const sioBatches: fc.Arbitrary<SioStep[]> = fc
  .tuple(fc.array(fc.oneof({ weight: 3, arbitrary: namespace }, { weight: 3, arbitrary: ack }, { weight: 2, arbitrary: binaryAck }), { minLength: 1, maxLength: 7 }), fc.option(fatal, { freq: 2 }))
  .map(([ok, end]) => (end ? [...ok, end] : ok));

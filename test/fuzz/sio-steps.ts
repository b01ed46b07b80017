import { isDeepStrictEqual } from 'node:util';
import { parseSubscribe } from '../../src/gateway/subscribe.schema.js';
import type { Verdict } from './tally.js';
import { WsSession, type Closed } from './ws-session.js';

/**
 * One malformed Socket.IO packet sent on a connected session (websocket, namespace `/`),
 * and the answer the protocol gives it:
 * - `namespace`: CONNECT to a namespace that does not exist → `44<nsp>,{"message":"Invalid namespace"}`;
 * - `ack`: an event with an ack id whose `subscribe` arguments are invalid → the ack
 *   `43<id>[{"status":"error","message":<what parseSubscribe says>}]`;
 * - `binary-ack`: the same as a binary event (`45<n>-<id>[…]` and n attachments);
 * - `fatal`: a packet the decoder cannot take (or that breaks the protocol's state) → the
 *   server closes the session.
 * A text frame over the handshake's maxPayload is refused whatever it holds: close 1009.
 */
export type SioStep =
  | { kind: 'namespace'; nsp: string; auth: string }
  | { kind: 'ack'; family: string; id: string; event: string; args: readonly string[] }
  | { kind: 'binary-ack'; family: string; id: string; template: string; parts: Uint8Array[] }
  | { kind: 'fatal'; family: string; frames: (string | Uint8Array)[] };

const ANSWER_MS = 2_000;

/**
 * Runs `steps` on as few sessions as possible: the ones a session survives first, then one
 * that ends it; every further session-ending step gets a session of its own.
 */
export async function runSteps(port: number, steps: SioStep[]): Promise<Verdict[]> {
  const first = await WsSession.connect(port, true);
  const max = first.open.maxPayload;
  const ends = (s: SioStep) => s.kind === 'fatal' || frameBytes(s) > max;
  const survivable = steps.filter((s) => !ends(s));
  const terminal = steps.filter(ends);
  const out: Verdict[] = [];
  await onSession(first, [...survivable, ...terminal.slice(0, 1)], max, out);
  for (const t of terminal.slice(1)) await onSession(await WsSession.connect(port, true), [t], max, out);
  return out;
}

async function onSession(s: WsSession, steps: SioStep[], max: number, out: Verdict[]): Promise<void> {
  try {
    for (const step of steps) {
      out.push(await runStep(s, step, max));
      if (s.closed) return;
    }
  } finally {
    s.end();
  }
}

async function runStep(s: WsSession, step: SioStep, max: number): Promise<Verdict> {
  const family = step.kind === 'namespace' ? 'unknown namespace' : step.family;
  if (step.kind === 'fatal') {
    for (const f of step.frames) s.ws.send(typeof f === 'string' ? f : Buffer.from(f), { binary: typeof f !== 'string' });
    const closed = await s.closedWithin(ANSWER_MS);
    return closed ? { reason: `${family}: session closed (${closed.code})` } : { failure: `${family}: session still open after ${ANSWER_MS} ms` };
  }
  const text = packetText(step);
  s.ws.send(text);
  if (step.kind === 'binary-ack') for (const p of step.parts) s.ws.send(Buffer.from(p), { binary: true });
  if (Buffer.byteLength(text) > max) {
    const closed = await s.closedWithin(ANSWER_MS);
    return closed?.code === 1009 ? { reason: `${family}: frame over maxPayload, closed 1009` } : { failure: `${family}: ${Buffer.byteLength(text)}-byte frame (maxPayload ${max}) not closed 1009: ${JSON.stringify(closed)}` };
  }
  const answer = await s.next((m) => m.startsWith(step.kind === 'namespace' ? '44' : '43'), ANSWER_MS);
  if (typeof answer !== 'string') return { failure: `${family}: ${answer ? `session closed (${(answer as Closed).code})` : `no answer within ${ANSWER_MS} ms`}` };
  return step.kind === 'namespace' ? judgeNamespace(step, answer) : judgeAck(step, answer);
}

function packetText(step: Exclude<SioStep, { kind: 'fatal' }>): string {
  if (step.kind === 'namespace') return `40${step.nsp}${step.auth ? `,${step.auth}` : ''}`;
  if (step.kind === 'ack') return `42${step.id}[${[JSON.stringify(step.event), ...step.args].join(',')}]`;
  return `45${step.parts.length}-${step.id}["subscribe",${step.template}]`;
}

function frameBytes(step: SioStep): number {
  return step.kind === 'fatal' ? 0 : Buffer.byteLength(packetText(step));
}

function judgeNamespace(step: Extract<SioStep, { kind: 'namespace' }>, answer: string): Verdict {
  const expected = `44${step.nsp},{"message":"Invalid namespace"}`;
  return answer === expected ? { reason: 'unknown namespace: CONNECT_ERROR Invalid namespace' } : { failure: `expected ${expected}, got ${answer.slice(0, 120)}` };
}

function judgeAck(step: Extract<SioStep, { kind: 'ack' | 'binary-ack' }>, answer: string): Verdict {
  const at = answer.indexOf('[');
  const id = answer.slice(2, at);
  if (Number(id) !== Number(step.id)) return { failure: `${step.family}: ack for id ${id}, sent ${step.id.slice(0, 40)}` };
  const expected = [{ status: 'error', message: expectedError(step) }];
  const got = JSON.parse(answer.slice(at)) as unknown;
  if (!isDeepStrictEqual(got, expected)) return { failure: `${step.family}: expected ${JSON.stringify(expected)}, got ${answer.slice(0, 200)}` };
  return { reason: `${step.family}: ack error` };
}

/** What the gateway must answer: parseSubscribe's message for the data Nest hands the handler. */
export function expectedError(step: Extract<SioStep, { kind: 'ack' | 'binary-ack' }>): string {
  const args = step.kind === 'ack' ? step.args.map((a) => JSON.parse(a) as unknown) : [reconstruct(step.template, step.parts)];
  const r = parseSubscribe(handlerData(args));
  if (!('error' in r)) throw new Error(`generator bug: a valid subscribe payload ${JSON.stringify(args).slice(0, 200)}`);
  return r.error;
}

/** Nest's IoAdapter.mapPayload: one argument is itself, none is undefined, several are an array. */
export function handlerData(args: unknown[]): unknown {
  return args.length === 0 ? undefined : args.length === 1 ? args[0] : args;
}

/** socket.io-parser's reconstructPacket: `{"_placeholder":true,"num":n}` becomes attachment n. */
export function reconstruct(template: string, parts: Uint8Array[]): unknown {
  return JSON.parse(template, (_k, v: unknown) => {
    const p = v as { _placeholder?: unknown; num?: unknown } | null;
    if (p && typeof p === 'object' && p._placeholder === true && typeof p.num === 'number') return Buffer.from(parts[p.num]!);
    return v;
  });
}

/** True when `args` (JSON texts) make a subscribe that the gateway would accept: not a malformed input. */
export function acceptedSubscribe(args: readonly string[]): boolean {
  return !('error' in parseSubscribe(handlerData(args.map((a) => JSON.parse(a) as unknown))));
}

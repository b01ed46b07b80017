/**
 * Engine.IO v4 packet codec (string packets only). No k6 and no Node imports: this module
 * runs unchanged under k6 (Sobek) and Node (vitest, node-driver).
 *
 * Wire format: one packet = one type digit + optional UTF-8 data. Over HTTP long-polling
 * several packets travel in one body, separated by the record separator "\x1e".
 * Binary packets ("b" + base64) are rejected: the Transit Tracker protocol is JSON only.
 */

export const EIO_PROTOCOL = 4;
/** Separates packets in a polling payload (Engine.IO v4). */
export const RECORD_SEPARATOR = '\x1e';

export const EIO_PACKET_TYPES = ['open', 'close', 'ping', 'pong', 'message', 'upgrade', 'noop'] as const;
export type EnginePacketType = (typeof EIO_PACKET_TYPES)[number];

export interface EnginePacket {
  type: EnginePacketType;
  /** Text after the type digit; absent when the packet has none. */
  data?: string;
}

/** Data of the `open` packet the server sends first (the handshake). */
export interface OpenPacketData {
  sid: string;
  upgrades: string[];
  pingInterval: number;
  pingTimeout: number;
  maxPayload: number;
}

export type ProtocolErrorCode =
  | 'EMPTY_PACKET'
  | 'UNKNOWN_PACKET_TYPE'
  | 'BINARY_UNSUPPORTED'
  | 'INVALID_JSON'
  | 'INVALID_HANDSHAKE'
  | 'INVALID_SOCKETIO_PACKET'
  | 'UNSUPPORTED_SOCKETIO_PACKET';

/** A packet or payload that does not follow the protocol. `code` says which rule it broke. */
export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  readonly input: string;

  constructor(code: ProtocolErrorCode, message: string, input: string) {
    super(`${code}: ${message} (input: ${preview(input)})`);
    this.name = 'ProtocolError';
    this.code = code;
    this.input = input;
  }
}

/** First 80 characters of `s`, JSON-quoted, for error messages. */
export function preview(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}

export function encodeEnginePacket(packet: EnginePacket): string {
  const digit = EIO_PACKET_TYPES.indexOf(packet.type);
  if (digit < 0) throw new ProtocolError('UNKNOWN_PACKET_TYPE', `unknown packet type ${String(packet.type)}`, '');
  return `${digit}${packet.data ?? ''}`;
}

export function decodeEnginePacket(text: string): EnginePacket {
  if (text.length === 0) throw new ProtocolError('EMPTY_PACKET', 'empty Engine.IO packet', text);
  const first = text.charAt(0);
  if (first === 'b') {
    throw new ProtocolError('BINARY_UNSUPPORTED', 'base64 binary packets are not supported', text);
  }
  const digit = first.charCodeAt(0) - 48;
  const type = EIO_PACKET_TYPES[digit];
  if (digit < 0 || digit > 9 || type === undefined) {
    throw new ProtocolError('UNKNOWN_PACKET_TYPE', `unknown Engine.IO packet type ${JSON.stringify(first)}`, text);
  }
  return text.length > 1 ? { type, data: text.slice(1) } : { type };
}

/** Joins packets into one polling body. */
export function encodePayload(packets: EnginePacket[]): string {
  return packets.map(encodeEnginePacket).join(RECORD_SEPARATOR);
}

/** Splits a polling body into packets; throws ProtocolError on the first bad packet. */
export function decodePayload(body: string): EnginePacket[] {
  if (body.length === 0) throw new ProtocolError('EMPTY_PACKET', 'empty polling payload', body);
  return body.split(RECORD_SEPARATOR).map(decodeEnginePacket);
}

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ProtocolError('INVALID_JSON', `${what} is not valid JSON: ${(err as Error).message}`, text);
  }
}

/** Validates the JSON of an `open` packet. */
export function parseOpenPacket(packet: EnginePacket): OpenPacketData {
  const raw = packet.data ?? '';
  if (packet.type !== 'open') {
    throw new ProtocolError('INVALID_HANDSHAKE', `expected an open packet, got ${packet.type}`, raw);
  }
  const v = parseJson(raw, 'open packet');
  if (typeof v !== 'object' || v === null) throw new ProtocolError('INVALID_HANDSHAKE', 'open data is not an object', raw);
  const o = v as Record<string, unknown>;
  if (typeof o.sid !== 'string' || o.sid.length === 0) throw new ProtocolError('INVALID_HANDSHAKE', 'missing sid', raw);
  for (const key of ['pingInterval', 'pingTimeout'] as const) {
    if (typeof o[key] !== 'number' || !(o[key] > 0)) {
      throw new ProtocolError('INVALID_HANDSHAKE', `${key} must be a positive number`, raw);
    }
  }
  const upgrades = Array.isArray(o.upgrades) ? o.upgrades.filter((u): u is string => typeof u === 'string') : [];
  return {
    sid: o.sid,
    upgrades,
    pingInterval: o.pingInterval as number,
    pingTimeout: o.pingTimeout as number,
    maxPayload: typeof o.maxPayload === 'number' ? o.maxPayload : 1_000_000,
  };
}

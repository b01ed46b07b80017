/**
 * Socket.IO v5 packet codec (the payload of Engine.IO `message` packets). No k6 import.
 *
 * Wire format: `<type>[<nsp>,][<ack id>][<JSON>]`, e.g. `0{"clientId":"a"}` (CONNECT with auth),
 * `2["vehicles:delta",{…}]` (EVENT), `212["subscribe",{…}]` (EVENT wanting ack 12),
 * `312[{"status":"ok"}]` (ACK 12), `/admin,0` (CONNECT to /admin).
 * Binary packets (BINARY_EVENT 5, BINARY_ACK 6) are rejected as unsupported.
 */
import { ProtocolError, parseJson } from './engineio-codec.ts';

export const SIO_PROTOCOL = 5;
export const DEFAULT_NAMESPACE = '/';

const TYPE_DIGITS = {
  CONNECT: 0,
  DISCONNECT: 1,
  EVENT: 2,
  ACK: 3,
  CONNECT_ERROR: 4,
} as const;
export type SocketPacketType = keyof typeof TYPE_DIGITS;

/** Event names Socket.IO reserves; a server never emits them as EVENT packets. */
const RESERVED_EVENTS = ['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener'];

export interface ConnectErrorData {
  message: string;
  data?: unknown;
}

export type SocketPacket =
  | { type: 'CONNECT'; nsp: string; data?: Record<string, unknown> }
  | { type: 'DISCONNECT'; nsp: string }
  | { type: 'EVENT'; nsp: string; id?: number; name: string; args: unknown[] }
  | { type: 'ACK'; nsp: string; id: number; args: unknown[] }
  | { type: 'CONNECT_ERROR'; nsp: string; data: ConnectErrorData };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nspPrefix(nsp: string): string {
  return nsp === DEFAULT_NAMESPACE ? '' : `${nsp},`;
}

export function encodeSocketPacket(packet: SocketPacket): string {
  const head = `${TYPE_DIGITS[packet.type]}${nspPrefix(packet.nsp)}`;
  switch (packet.type) {
    case 'CONNECT':
      return packet.data === undefined ? head : head + JSON.stringify(packet.data);
    case 'DISCONNECT':
      return head;
    case 'EVENT':
      return head + (packet.id ?? '') + JSON.stringify([packet.name, ...packet.args]);
    case 'ACK':
      return head + packet.id + JSON.stringify(packet.args);
    case 'CONNECT_ERROR':
      return head + JSON.stringify(packet.data);
  }
}

function invalid(message: string, input: string): ProtocolError {
  return new ProtocolError('INVALID_SOCKETIO_PACKET', message, input);
}

export function decodeSocketPacket(text: string): SocketPacket {
  if (text.length === 0) throw invalid('empty Socket.IO packet', text);
  const digit = text.charCodeAt(0) - 48;
  if (digit === 5 || digit === 6) {
    throw new ProtocolError('UNSUPPORTED_SOCKETIO_PACKET', 'binary Socket.IO packets are not supported', text);
  }
  const entry = Object.entries(TYPE_DIGITS).find(([, d]) => d === digit);
  if (!entry) throw invalid(`unknown Socket.IO packet type ${JSON.stringify(text.charAt(0))}`, text);
  const type = entry[0] as SocketPacketType;

  let i = 1;
  let nsp = DEFAULT_NAMESPACE;
  if (text.charAt(i) === '/') {
    const comma = text.indexOf(',', i);
    const end = comma < 0 ? text.length : comma;
    nsp = text.slice(i, end);
    i = comma < 0 ? end : end + 1;
  }
  let idText = '';
  while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) idText += text.charAt(i++);
  const id = idText === '' ? undefined : Number(idText);
  const rest = text.slice(i);
  const payload = rest === '' ? undefined : parseJson(rest, 'Socket.IO payload');

  switch (type) {
    case 'CONNECT':
      if (payload !== undefined && !isObject(payload)) throw invalid('CONNECT payload must be an object', text);
      return payload === undefined ? { type, nsp } : { type, nsp, data: payload };
    case 'DISCONNECT':
      if (payload !== undefined) throw invalid('DISCONNECT takes no payload', text);
      return { type, nsp };
    case 'EVENT': {
      if (!Array.isArray(payload) || typeof payload[0] !== 'string') {
        throw invalid('EVENT payload must be an array starting with the event name', text);
      }
      const name = payload[0];
      if (RESERVED_EVENTS.includes(name)) throw invalid(`EVENT uses the reserved name ${JSON.stringify(name)}`, text);
      const ev: SocketPacket = { type, nsp, name, args: payload.slice(1) };
      if (id !== undefined) ev.id = id;
      return ev;
    }
    case 'ACK':
      if (id === undefined) throw invalid('ACK without an ack id', text);
      if (!Array.isArray(payload)) throw invalid('ACK payload must be an array', text);
      return { type, nsp, id, args: payload };
    case 'CONNECT_ERROR':
      if (typeof payload === 'string') return { type, nsp, data: { message: payload } };
      if (isObject(payload) && typeof payload.message === 'string') {
        const data: ConnectErrorData = { message: payload.message };
        if (payload.data !== undefined) data.data = payload.data;
        return { type, nsp, data };
      }
      throw invalid('CONNECT_ERROR payload must be a string or an object with a message', text);
  }
}

/**
 * Types and URL building shared by EioSession and its drivers. No k6 import.
 */
import type { PollingClassification, SessionUnknownCause } from './engineio-classify.ts';
import { EIO_PROTOCOL, type OpenPacketData } from './engineio-codec.ts';
import type { ConnectErrorData } from './socketio-codec.ts';

export type TransportName = 'polling' | 'websocket';
export type SessionState = 'new' | 'opening' | 'open' | 'connected' | 'closing' | 'closed';
export type CloseReason =
  | 'client close' // close() was called
  | 'transport close' // server sent an Engine.IO close packet ("1"), e.g. worker recycled
  | 'server disconnect' // server sent a Socket.IO DISCONNECT
  | 'connect error' // server refused the namespace CONNECT (CONNECT_ERROR)
  | 'ping timeout' // no ping for pingInterval + pingTimeout
  | 'http error' // a polling request failed; see `classification`
  | 'transport error' // websocket error / closed by the peer
  | 'protocol error'; // malformed packet or out-of-order handshake

export interface EioSessionOptions {
  /** e.g. http://127.0.0.1:8080 (no trailing path). */
  baseUrl: string;
  /** Engine.IO path. @default '/socket.io/' */
  path?: string;
  /** @default 'polling' */
  transport?: TransportName;
  /** Socket.IO handshake `auth` (sent in the CONNECT packet). */
  auth?: Record<string, unknown>;
  /** @default '/' */
  namespace?: string;
  /** EIO query value. Anything but 4 only to provoke 'protocol_mismatch'. @default 4 */
  eioVersion?: number;
  /** Extra query parameters. */
  query?: Record<string, string>;
  /** Extra headers for HTTP requests. */
  headers?: Record<string, string>;
}

export interface HttpRequest {
  kind: 'handshake' | 'poll' | 'post';
  method: 'GET' | 'POST';
  url: string;
  body?: string;
  headers: Record<string, string>;
}

/** A Socket.IO packet for the application, in arrival order. */
export type Inbound =
  | { kind: 'event'; name: string; args: unknown[]; ackId?: number }
  | { kind: 'ack'; id: number; args: unknown[]; rttMs?: number };

export interface SessionClose {
  reason: CloseReason;
  /** The session had opened and ended without close() — the client must handshake again. */
  lost: boolean;
  /** Whether the namespace had connected before the end. */
  wasConnected: boolean;
  classification?: PollingClassification;
  /** For a 400 "Session ID unknown": the cause the server named in `x-transit-session`. */
  sessionCause?: SessionUnknownCause;
  status?: number;
  detail?: string;
}

export interface SessionOutput {
  /** Class of the HTTP response ('ok' for ws input). */
  classification: PollingClassification;
  /** For a 400 "Session ID unknown": the cause in `x-transit-session` (absent from older servers). */
  sessionCause?: SessionUnknownCause;
  status?: number;
  /** Set on the input that carried the Engine.IO open packet. */
  opened?: OpenPacketData;
  /** Set on the input that carried the Socket.IO CONNECT answer. */
  connected?: { sid: string };
  connectError?: ConnectErrorData;
  received: Inbound[];
  /** Pings answered (a pong is queued for each). */
  pings: number;
  closed?: SessionClose;
  errors: string[];
}

export interface EngineUrlParams {
  baseUrl: string;
  path?: string;
  eioVersion?: number;
  transport: TransportName;
  sid?: string;
  query?: Record<string, string>;
  /** Cache-buster like a browser's; omit to leave it out. */
  t?: string;
}

export function buildEngineUrl(p: EngineUrlParams): string {
  const base = p.baseUrl.replace(/\/+$/, '');
  const path = p.path ?? '/socket.io/';
  const q: Record<string, string> = { ...p.query, EIO: String(p.eioVersion ?? EIO_PROTOCOL), transport: p.transport };
  if (p.t !== undefined) q.t = p.t;
  if (p.sid !== undefined) q.sid = p.sid;
  const qs = Object.keys(q).map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(q[k] as string)}`).join('&');
  return `${base}${path.startsWith('/') ? path : `/${path}`}?${qs}`;
}

export function cacheBuster(): string {
  return Math.random().toString(36).slice(2, 10);
}

export function emptyOutput(classification: PollingClassification, status?: number, sessionCause?: SessionUnknownCause): SessionOutput {
  const out: SessionOutput = { classification, received: [], pings: 0, errors: [] };
  if (sessionCause !== undefined) out.sessionCause = sessionCause;
  if (status !== undefined) out.status = status;
  return out;
}

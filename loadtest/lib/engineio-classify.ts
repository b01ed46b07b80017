/**
 * Classifies one Engine.IO HTTP long-polling response (handshake GET, poll GET or data POST).
 * No k6 import. The class names are the metric tags the load tests report.
 *
 * Engine.IO answers protocol errors with JSON `{ code, message }`: 400 for codes 0–3 and 5,
 * 403 for code 4. Code 1 ("Session ID unknown") is the answer the load tests hunt. Transit Tracker
 * names its cause in the `x-transit-session` response header (sessionUnknownCause()):
 * `misrouted` (the request reached a worker which does not own the live session: the bug),
 * `ended` (a session the server closed: Engine.IO v4's correct answer after a ping timeout, a
 * client close or a recycled worker; expected) or `unknown` (an id it never issued).
 */
import { RECORD_SEPARATOR } from './engineio-codec.ts';

export type PollingClassification =
  /** 200 with packets (or "ok" for a POST), no close packet. */
  | 'ok'
  /** 200 whose payload holds a close packet ("1"): the server ended the session cleanly. */
  | 'closed'
  /** 400 code 0 "Transport unknown". */
  | 'transport_unknown'
  /** 400 code 1 "Session ID unknown". */
  | 'session_unknown'
  /** 400 code 2 "Bad handshake method". */
  | 'bad_handshake_method'
  /** 400 code 3 "Bad request", or a 400 without a JSON body (e.g. overlapping polls). */
  | 'bad_request'
  /** 403 code 4 "Forbidden" (e.g. allowRequest refused). */
  | 'forbidden'
  /** 400 code 5 "Unsupported protocol version" (e.g. EIO=3 against a v4-only server). */
  | 'protocol_mismatch'
  /** 413: POST larger than maxPayload. */
  | 'payload_too_large'
  /** 5xx. */
  | 'server_error'
  /** status 0: no HTTP response at all (refused, reset, timeout) — k6 reports these as 0. */
  | 'network_error'
  /** any other status (3xx, 404, 429, other 4xx). */
  | 'unexpected_status';

export const ENGINE_IO_ERROR_CODES: Record<number, PollingClassification> = {
  0: 'transport_unknown',
  1: 'session_unknown',
  2: 'bad_handshake_method',
  3: 'bad_request',
  4: 'forbidden',
  5: 'protocol_mismatch',
};

export interface EngineIoErrorBody {
  code: number;
  message: string;
}

/** Parses an Engine.IO error body `{"code":1,"message":"Session ID unknown"}`; null if it is not one. */
export function parseEngineIoError(body: string | null | undefined): EngineIoErrorBody | null {
  if (!body || body.charAt(0) !== '{') return null;
  try {
    const v = JSON.parse(body) as unknown;
    if (typeof v !== 'object' || v === null) return null;
    const o = v as Record<string, unknown>;
    if (typeof o.code !== 'number') return null;
    return { code: o.code, message: typeof o.message === 'string' ? o.message : '' };
  } catch {
    return null;
  }
}

/** True if a 200 polling payload carries an Engine.IO close packet. */
export function payloadHasClose(body: string): boolean {
  return body.split(RECORD_SEPARATOR).some((p) => p === '1');
}

export function classifyPollingResponse(status: number, body: string | null | undefined): PollingClassification {
  if (status === 0) return 'network_error';
  if (status === 200) return body && payloadHasClose(body) ? 'closed' : 'ok';
  if (status === 400 || status === 403) {
    const err = parseEngineIoError(body);
    const known = err ? ENGINE_IO_ERROR_CODES[err.code] : undefined;
    if (known) return known;
    return status === 403 ? 'forbidden' : 'bad_request';
  }
  if (status === 413) return 'payload_too_large';
  if (status >= 500 && status <= 599) return 'server_error';
  return 'unexpected_status';
}


/** Response header in which Transit Tracker names the cause of every 400 "Session ID unknown". */
export const SESSION_CAUSE_HEADER = 'x-transit-session';

export type SessionUnknownCause = 'misrouted' | 'ended' | 'unknown';
export const SESSION_UNKNOWN_CAUSES: readonly SessionUnknownCause[] = ['misrouted', 'ended', 'unknown'];

/** Response headers as k6 (`{ 'X-Transit-Session': 'ended' }`, canonical names) or Node (lower case) give them. */
export type HttpHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Case-insensitive header lookup; the first value of a repeated header. */
export function headerValue(headers: HttpHeaders | null | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() !== wanted) continue;
    const v = headers[key];
    const first = typeof v === 'string' ? v : v?.[0];
    if (first !== undefined) return first;
  }
  return undefined;
}

/**
 * The cause a 400 "Session ID unknown" names in its `x-transit-session` header. undefined for
 * any other answer, and for a missing or unrecognised header (an older server, or a proxy that
 * answered itself): callers count those as failures.
 */
export function sessionUnknownCause(
  classification: PollingClassification,
  headers: HttpHeaders | null | undefined,
): SessionUnknownCause | undefined {
  if (classification !== 'session_unknown') return undefined;
  const v = headerValue(headers, SESSION_CAUSE_HEADER)?.trim().toLowerCase();
  return SESSION_UNKNOWN_CAUSES.find((c) => c === v);
}

/**
 * True for the one 400 that is not a failure: "Session ID unknown" for a session the server says
 * it ended (`x-transit-session: ended`). Every other 400 (misrouted, unknown, no header, other
 * codes) counts against the load tests' thresholds.
 */
export function isEndedSessionAnswer(a: { classification: PollingClassification; sessionCause?: SessionUnknownCause | undefined }): boolean {
  return a.classification === 'session_unknown' && a.sessionCause === 'ended';
}

/**
 * Honest connection status: a pure state machine (no DOM, no timers) fed with Socket.IO events,
 * a 1 s clock tick and the fallback's state; `describeStatus` turns it into the exact texts:
 *
 * - `Connecting…` — page just loaded, first connection not established yet;
 * - `Live (websocket)` / `Live (polling)` — socket connected; the transport Engine.IO uses now;
 * - `Reconnecting… attempt n` — socket down, the Manager retrying (n = its attempt number);
 * - `Offline — refreshing every 30 s, data 12 s old` — socket down long enough that the page
 *   polls `GET /api/vehicles` every `fallbackIntervalMs`; the age is of the data shown
 *   (`…, no data yet` before any data arrived).
 *
 * The fallback starts (`fallback: true`) when the socket has been down for `graceMs`, or after
 * `maxConnectErrors` consecutive connect errors (e.g. `/socket.io/` blocked), or when the Manager
 * gives up; it stops the moment the socket connects again.
 */
import { dataAgeMs, formatDuration } from './format.js';

export type StatusEvent =
  /** Socket `connect`; `transport` = `socket.io.engine.transport.name`. */
  | { type: 'connect'; transport: string; at: number }
  /** Engine `upgrade` (e.g. polling → websocket). */
  | { type: 'upgrade'; transport: string }
  /** Socket `disconnect`. */
  | { type: 'disconnect'; reason: string; at: number }
  /** Manager `reconnect_attempt` with its attempt number (1, 2, …). */
  | { type: 'reconnect_attempt'; attempt: number }
  /** Socket `connect_error`. */
  | { type: 'connect_error'; message: string }
  /** Manager `reconnect_failed` (only when reconnection attempts are bounded). */
  | { type: 'reconnect_failed' }
  /** Clock tick (the page sends one every second). */
  | { type: 'tick'; now: number };

export type Phase = 'connecting' | 'live' | 'reconnecting';

export interface StatusState {
  readonly phase: Phase;
  /** Engine.IO transport while live, else `null`. */
  readonly transport: string | null;
  /** Latest reconnect attempt number; 0 before the first attempt. */
  readonly attempt: number;
  /** Connect errors since the socket was last live. */
  readonly connectErrors: number;
  readonly reconnectFailed: boolean;
  /** When the socket went down (page load for the first connection), ms since epoch; `null` while live. */
  readonly downSince: number | null;
  /** Whether the HTTP fallback should be polling. */
  readonly fallback: boolean;
}

export interface FallbackPolicy {
  /** Socket down this long → fall back. */
  graceMs: number;
  /** This many consecutive connect errors → fall back at once. */
  maxConnectErrors: number;
}

export const DEFAULT_FALLBACK_POLICY: FallbackPolicy = { graceMs: 5_000, maxConnectErrors: 3 };

export function initialStatus(now: number): StatusState {
  return {
    phase: 'connecting',
    transport: null,
    attempt: 0,
    connectErrors: 0,
    reconnectFailed: false,
    downSince: now,
    fallback: false,
  };
}

/** Whether a not-live socket has been failing long/often enough that the page must poll instead. */
export function shouldFallBack(state: StatusState, now: number, policy: FallbackPolicy = DEFAULT_FALLBACK_POLICY): boolean {
  if (state.phase === 'live') return false;
  if (state.reconnectFailed) return true;
  if (state.connectErrors >= policy.maxConnectErrors) return true;
  return state.downSince !== null && now - state.downSince >= policy.graceMs;
}

export function reduceStatus(
  state: StatusState,
  event: StatusEvent,
  policy: FallbackPolicy = DEFAULT_FALLBACK_POLICY,
): StatusState {
  switch (event.type) {
    case 'connect':
      return {
        phase: 'live',
        transport: event.transport,
        attempt: 0,
        connectErrors: 0,
        reconnectFailed: false,
        downSince: null,
        fallback: false,
      };
    case 'upgrade':
      return state.phase === 'live' ? { ...state, transport: event.transport } : state;
    case 'disconnect':
      if (state.phase !== 'live') return state;
      return { ...state, phase: 'reconnecting', transport: null, attempt: 0, downSince: event.at };
    case 'reconnect_attempt':
      if (state.phase === 'live') return state;
      return { ...state, phase: 'reconnecting', attempt: event.attempt };
    case 'connect_error': {
      if (state.phase === 'live') return state;
      const next = { ...state, connectErrors: state.connectErrors + 1 };
      return next.connectErrors >= policy.maxConnectErrors ? { ...next, fallback: true } : next;
    }
    case 'reconnect_failed':
      if (state.phase === 'live') return state;
      return { ...state, reconnectFailed: true, fallback: true };
    case 'tick':
      if (state.fallback || !shouldFallBack(state, event.now, policy)) return state;
      return { ...state, fallback: true };
  }
}

export type StatusKind = 'connecting' | 'live' | 'reconnecting' | 'offline';

export interface StatusView {
  kind: StatusKind;
  /** The full status text. */
  text: string;
  /** The part of `text` that changes only with the state (announced by the live region). */
  main: string;
  /** The part that ticks every second (the data age; kept out of screen-reader announcements). */
  detail: string;
}

export interface StatusContext {
  now: number;
  fallbackIntervalMs: number;
  /** `generatedAt` of the data shown, or `null` before any data. */
  dataGeneratedAt: number | null;
}

export function describeStatus(state: StatusState, ctx: StatusContext): StatusView {
  const view = (kind: StatusKind, main: string, detail = ''): StatusView => ({ kind, main, detail, text: main + detail });
  if (state.phase === 'live') return view('live', `Live (${state.transport ?? 'unknown'})`);
  if (state.fallback) {
    const age =
      ctx.dataGeneratedAt === null ? ', no data yet' : `, data ${formatDuration(dataAgeMs(ctx.now, ctx.dataGeneratedAt))} old`;
    return view('offline', `Offline — refreshing every ${formatDuration(ctx.fallbackIntervalMs)}`, age);
  }
  if (state.phase === 'reconnecting') return view('reconnecting', `Reconnecting… attempt ${Math.max(1, state.attempt)}`);
  return view('connecting', 'Connecting…');
}

/**
 * Async driver of EioSession over HTTP long-polling for Node (global fetch; no socket.io-client,
 * no k6). Behaves like a browser on polling only: one GET always pending, POSTs serialized
 * (Engine.IO refuses overlapping POSTs), pings answered, optional reconnect on session loss with
 * `auth.connects` counting earlier connections. Used by test/loadtest and reusable in CI against
 * the real topology (every request's class is counted in `stats.byClass`).
 */
import type { HttpHeaders, PollingClassification, SessionUnknownCause } from './engineio-classify.ts';
import { EioSession } from './engineio-session.ts';
import type { EioSessionOptions, HttpRequest, SessionClose, SessionOutput } from './engineio-types.ts';

export interface FetchResponseLike {
  status: number;
  text(): Promise<string>;
  /** fetch's Headers (names lower case); optional so minimal fakes still fit. */
  headers?: { forEach(cb: (value: string, name: string) => void): void };
}
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal?: unknown },
) => Promise<FetchResponseLike>;

interface NodeGlobals {
  fetch: FetchLike;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  AbortController: new () => { signal: unknown; abort(): void };
}
const g = globalThis as unknown as NodeGlobals;

export interface HttpResult {
  status: number;
  body: string;
  /** Response headers, names lower case. */
  headers: HttpHeaders;
  /** Set when no HTTP response came back (status 0). */
  error?: string;
}

/** Sends a request built by EioSession. Never throws: network errors and timeouts are status 0. */
export async function sendHttp(req: HttpRequest, fetchImpl: FetchLike = g.fetch, timeoutMs = 30_000): Promise<HttpResult> {
  const ctl = new g.AbortController();
  const timer = g.setTimeout(() => ctl.abort(), timeoutMs);
  try {
    const init: Parameters<FetchLike>[1] = { method: req.method, headers: req.headers, signal: ctl.signal };
    if (req.body !== undefined) init.body = req.body;
    const res = await fetchImpl(req.url, init);
    const headers: Record<string, string> = {};
    res.headers?.forEach((value, name) => { headers[name.toLowerCase()] = value; });
    return { status: res.status, body: await res.text(), headers };
  } catch (err) {
    return { status: 0, body: '', headers: {}, error: err instanceof Error ? err.message : String(err) };
  } finally {
    g.clearTimeout(timer);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => g.setTimeout(resolve, ms));
}

/** Rejects with `message` unless `p` settles within `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = g.setTimeout(() => reject(new Error(message)), ms);
    p.then(
      (v) => { g.clearTimeout(timer); resolve(v); },
      (e: unknown) => { g.clearTimeout(timer); reject(e); },
    );
  });
}

/** A session ended before its namespace connected (handshake refused, 400, CONNECT_ERROR…). */
export class SessionFailure extends Error {
  readonly close: SessionClose;
  constructor(close: SessionClose) {
    super(`session ended before connect: ${close.reason}${close.detail ? ` (${close.detail})` : ''}`);
    this.name = 'SessionFailure';
    this.close = close;
  }
}

export interface NodePollingClientOptions extends Omit<EioSessionOptions, 'auth' | 'transport'> {
  /** Handshake auth; a function gets `connects` (earlier successful connections of this client). */
  auth?: Record<string, unknown> | ((connects: number) => Record<string, unknown>);
  /** Start a new session when one is lost. @default false */
  reconnect?: boolean;
  /** @default 200 */
  reconnectDelayMs?: number;
  fetch?: FetchLike;
}

export interface ReceivedEvent {
  name: string;
  args: unknown[];
  receivedAt: number;
}

export interface NodeClientStats {
  requests: number;
  byClass: Partial<Record<PollingClassification, number>>;
  /** 400 "Session ID unknown" answers by their x-transit-session cause; `none` = no header (older server). */
  byCause: Partial<Record<SessionUnknownCause | 'none', number>>;
  pings: number;
  connects: number;
  reconnects: number;
  sessionLost: number;
  closes: SessionClose[];
}

type Listener = (out: SessionOutput, session: EioSession) => void;

export class NodePollingClient {
  session: EioSession;
  readonly events: ReceivedEvent[] = [];
  readonly stats: NodeClientStats = { requests: 0, byClass: {}, byCause: {}, pings: 0, connects: 0, reconnects: 0, sessionLost: 0, closes: [] };
  private readonly opts: NodePollingClientOptions;
  private readonly fetchImpl: FetchLike;
  private listeners: Listener[] = [];
  private writes: Promise<void> = Promise.resolve();
  private loop: Promise<void> = Promise.resolve();
  private userClosed = false;
  /** A bug thrown inside the poll loop (protocol problems end the session instead). */
  loopError: Error | undefined;

  constructor(opts: NodePollingClientOptions) {
    this.opts = opts;
    this.fetchImpl = opts.fetch ?? g.fetch;
    this.session = this.newSession();
  }

  /** Listens to every SessionOutput; returns the unsubscribe function. */
  onOutput(listener: Listener): () => void {
    this.listeners.push(listener);
    return () => { this.listeners = this.listeners.filter((l) => l !== listener); };
  }

  /** Handshakes, connects the namespace and keeps polling. Rejects with SessionFailure. */
  connect(timeoutMs = 10_000): Promise<{ sid: string; socketId: string }> {
    const session = this.session;
    const connected = new Promise<{ sid: string; socketId: string }>((resolve, reject) => {
      const off = this.onOutput((out, s) => {
        if (s !== session) return;
        if (out.connected) { off(); resolve({ sid: s.sid ?? '', socketId: out.connected.sid }); }
        else if (out.closed) { off(); reject(new SessionFailure(out.closed)); }
      });
    });
    this.loop = this.run(session).catch((err: unknown) => {
      this.loopError = err instanceof Error ? err : new Error(String(err));
    });
    return withTimeout(connected, timeoutMs, `connect timed out after ${timeoutMs} ms`);
  }

  /** Emits on the current session (buffered until connected). */
  emit(name: string, ...args: unknown[]): Promise<void> {
    this.session.emit(name, args);
    return this.flush(this.session);
  }

  /** Emits with an ack and resolves with the ack's arguments. */
  emitWithAck(name: string, args: unknown[], timeoutMs = 5_000): Promise<unknown[]> {
    const session = this.session;
    const id = session.emit(name, args, true);
    const acked = new Promise<unknown[]>((resolve, reject) => {
      const off = this.onOutput((out, s) => {
        if (s !== session) return;
        const ack = out.received.find((m) => m.kind === 'ack' && m.id === id);
        if (ack) { off(); resolve(ack.args); }
        else if (out.closed) { off(); reject(new SessionFailure(out.closed)); }
      });
    });
    void this.flush(session);
    return withTimeout(acked, timeoutMs, `no ack for ${name} within ${timeoutMs} ms`);
  }

  /** Resolves with the first event `name` (already received ones count) matching `predicate`. */
  waitForEvent(name: string, timeoutMs = 5_000, predicate: (e: ReceivedEvent) => boolean = () => true): Promise<ReceivedEvent> {
    const found = this.events.find((e) => e.name === name && predicate(e));
    if (found) return Promise.resolve(found);
    const p = new Promise<ReceivedEvent>((resolve) => {
      const off = this.onOutput(() => {
        const e = this.events.find((x) => x.name === name && predicate(x));
        if (e) { off(); resolve(e); }
      });
    });
    return withTimeout(p, timeoutMs, `no ${name} event within ${timeoutMs} ms`);
  }

  /** Disconnects cleanly (DISCONNECT + Engine.IO close) and waits for the poll loop to end. */
  async close(timeoutMs = 5_000): Promise<void> {
    this.userClosed = true;
    this.session.close();
    await this.flush(this.session);
    await withTimeout(this.loop, timeoutMs, 'poll loop did not stop').catch(() => undefined);
  }

  private newSession(): EioSession {
    const { auth, reconnect: _r, reconnectDelayMs: _d, fetch: _f, ...rest } = this.opts;
    return new EioSession({ ...rest, transport: 'polling', auth: typeof auth === 'function' ? auth(this.stats.connects) : auth });
  }

  private async send(session: EioSession, req: HttpRequest): Promise<void> {
    const res = await sendHttp(req, this.fetchImpl, session.pollTimeoutMs());
    this.stats.requests++;
    const out = session.handleHttpResponse(req, res.status, res.body, Date.now(), res.headers);
    if (res.error && out.closed && out.closed.detail === undefined) out.closed.detail = res.error;
    this.dispatch(out, session);
  }

  /** Serialized POSTs of whatever the session has queued. */
  private flush(session: EioSession): Promise<void> {
    this.writes = this.writes.then(async () => {
      for (let req = session.flushRequest(); req; req = session.flushRequest()) await this.send(session, req);
    });
    return this.writes;
  }

  private async run(first: EioSession): Promise<void> {
    let session = first;
    for (;;) {
      await this.send(session, session.handshakeRequest());
      while (session.isOpen || session.state === 'closing') {
        void this.flush(session);
        await this.send(session, session.pollRequest());
      }
      const wasLost = session.closeInfo?.lost === true;
      if (this.userClosed || !this.opts.reconnect || !wasLost) return;
      await delay(this.opts.reconnectDelayMs ?? 200);
      if (this.userClosed) return;
      session = this.session = this.newSession();
    }
  }

  private dispatch(out: SessionOutput, session: EioSession): void {
    const cls = out.classification;
    this.stats.byClass[cls] = (this.stats.byClass[cls] ?? 0) + 1;
    if (cls === 'session_unknown') {
      const cause = out.sessionCause ?? 'none';
      this.stats.byCause[cause] = (this.stats.byCause[cause] ?? 0) + 1;
    }
    this.stats.pings += out.pings;
    if (out.connected) {
      if (this.stats.connects > 0) this.stats.reconnects++;
      this.stats.connects++;
    }
    if (out.closed) {
      this.stats.closes.push(out.closed);
      if (out.closed.lost) this.stats.sessionLost++;
    }
    const now = Date.now();
    for (const m of out.received) if (m.kind === 'event') this.events.push({ name: m.name, args: m.args, receivedAt: now });
    for (const l of this.listeners.slice()) l(out, session);
    if (session.hasOutgoing()) void this.flush(session);
  }
}

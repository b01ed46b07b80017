/**
 * The independent count: a reverse proxy on 127.0.0.1 between the clients and the service
 * (or HAProxy) that classifies every Engine.IO long-polling response itself, without help
 * from the service. Like an edge proxy it pools keep-alive connections to its target, so
 * requests of many clients share connections (the case where connection stickiness alone is
 * not enough). Websocket upgrades are tunnelled and counted by the answer's status.
 *
 * It also keeps every forwarded request (upgrades included) until its response head
 * arrives: one that has none within `hangMs`, or whose upstream connection closes without
 * one, is recorded as lost (see `LostRequest`). A request its client gave up on first is not.
 *
 * A 400 "Session ID unknown" is split by the service's `x-transit-session` response header
 * (`misrouted`, `ended`, `unknown`); without the header it counts as `unknown`.
 *
 * The one counting proxy of the repository: the pre-deploy harness and the integration
 * tests (test/) both use it. With `keepAlive: false` every request opens its own upstream
 * connection (a browser without a proxy in front, routed by the primary each time); `pool`
 * caps the pooled connections (an edge proxy's few upstream connections).
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { classifyPollingResponse, type PollingClassification } from '../../loadtest/lib/engineio-classify.ts';

/** Why the service did not know a session id, from its `x-transit-session` header. */
export type SessionUnknownCause = 'misrouted' | 'ended' | 'unknown';
export const SESSION_UNKNOWN_CAUSES: readonly SessionUnknownCause[] = ['misrouted', 'ended', 'unknown'];
/** The response header the service puts on every 400 "Session ID unknown". */
export const SESSION_CAUSE_HEADER = 'x-transit-session';

/**
 * The deadline for a response head. Long-polls are answered by the next ping at the latest,
 * PING_INTERVAL_MS after they were sent; the margin (10 s) covers the pong's round trip,
 * timer and event-loop delay on a loaded box and a drain's close wait (CLOSE_WAIT_MS 3 s).
 * It stays under pingInterval + pingTimeout, when socket.io-client itself gives up on a
 * silent session and aborts its poll (which would look abandoned, not lost). Every other
 * request is answered in milliseconds, so the same deadline has no false alarms for them and
 * is still well under Node's headersTimeout (60 s), after which a stuck request gets a 408.
 */
export const HANG_MARGIN_MS = 10_000;
export const hangDeadlineMs = (pingIntervalMs: number, pingTimeoutMs = 20_000): number =>
  pingIntervalMs + Math.max(1_000, Math.min(HANG_MARGIN_MS, pingTimeoutMs / 2));

export interface Bucket {
  polls: number;
  byStatus: Record<string, number>;
  byClass: Partial<Record<PollingClassification, number>>;
  /** Polling 400 "Session ID unknown" by cause; optional for buckets built elsewhere. */
  sessionUnknown?: Partial<Record<SessionUnknownCause, number>>;
}

export interface LostRequest {
  /** When it was found lost (ms since the epoch): the deadline, or the upstream close. */
  at: number;
  sentAt: number;
  /** `hung`: no response head within `hangMs`; `closed`: the upstream connection closed without one. */
  kind: 'hung' | 'closed';
  what: string;
  detail: string;
}

export interface ProxyCounts {
  polls: number;
  byStatus: Record<string, number>;
  byClass: Partial<Record<PollingClassification, number>>;
  /** Polling 400 "Session ID unknown" by the service's `x-transit-session` header. */
  sessionUnknown: Record<SessionUnknownCause, number>;
  /** Websocket upgrades answered 400 "Session ID unknown", by the same header. */
  wsSessionUnknown: Record<SessionUnknownCause, number>;
  /** Of the polling ones, how many had no (valid) header and count as `unknown`. */
  sessionUnknownUnlabelled: number;
  /** The same for websocket upgrades. */
  wsSessionUnknownUnlabelled: number;
  /** First 400/403/5xx answers: request and body. */
  badSamples: string[];
  wsUpgrades: number;
  wsByStatus: Record<string, number>;
  /** Requests forwarded (upgrades included; a retry on a fresh connection is the same request). */
  forwarded: number;
  /** Forwarded requests without a response head within `hangMs` (counted once, when the deadline passes). */
  hung: number;
  /** Forwarded requests whose upstream connection closed without a response head (and were not retried). */
  closedNoResponse: number;
  /** Requests their client abandoned (page closed, poll aborted) before any answer: not lost. */
  abandoned: number;
  /** Requests still waiting, within their deadline, when the proxy closed: not judged. */
  unjudgedAtClose: number;
  /** Every hung or closed request (first 5000). */
  lost: LostRequest[];
  hangMs: number;
}

export interface CountingProxy {
  url: string;
  counts: ProxyCounts;
  /** Polling responses per second since `t0`, index = second. */
  buckets: Bucket[];
  /** The first 400 "Session ID unknown" cause seen for each session id (polling or websocket). */
  sessionUnknownBySid: Map<string, SessionUnknownCause>;
  upstreamConnections: () => number;
  /** Requests retried after meeting a pooled connection the service had closed. */
  retries: () => number;
  /** Forwarded requests still waiting for their answer (or for their client to abandon them). */
  waiting: () => number;
  close: () => Promise<void>;
}

const inc = <K extends string>(o: Partial<Record<K, number>>, k: K, by = 1) => (o[k] = (o[k] ?? 0) + by);
const MAX_LOST_KEPT = 5_000;
const MAX_SIDS_KEPT = 50_000;

/**
 * The cause of a 400 by its `x-transit-session` header: null for any other status, and for a
 * 400 without the header that is not "Session ID unknown" (e.g. "Bad request"). A 400
 * "Session ID unknown" without a (valid) header is `unknown`, `labelled: false`.
 */
export function sessionUnknownCause(
  status: number,
  header: string | string[] | undefined,
  cls: PollingClassification,
): { cause: SessionUnknownCause; labelled: boolean } | null {
  if (status !== 400) return null;
  const h = (Array.isArray(header) ? header[0] : header)?.trim().toLowerCase();
  if (h === 'misrouted' || h === 'ended' || h === 'unknown') return { cause: h, labelled: true };
  return cls === 'session_unknown' ? { cause: 'unknown', labelled: false } : null;
}

/** Status, headers (lower-case names) and body of a raw HTTP response head as far as `text` goes. */
export function parseRawResponse(text: string): { status: number | null; headers: Record<string, string>; body: string } {
  const end = text.indexOf('\r\n\r\n');
  const head = end === -1 ? text : text.slice(0, end);
  const [first = '', ...rest] = head.split('\r\n');
  const m = /^HTTP\/1\.\d (\d{3})/.exec(first);
  const headers: Record<string, string> = {};
  for (const line of rest) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: m ? Number(m[1]) : null, headers, body: end === -1 ? '' : text.slice(end + 4) };
}

const sidOf = (url: string | undefined): string | null => {
  const m = url ? /[?&]sid=([^&]+)/.exec(url) : null;
  return m ? decodeURIComponent(m[1]!) : null;
};

interface Pending {
  sentAt: number;
  what: string;
  timer: NodeJS.Timeout;
  hung: boolean;
  settled: boolean;
}

export interface CountingProxyOptions {
  /** Start of the per-second buckets (ms since the epoch). @default the proxy's start */
  t0?: number;
  /** No response head within this is a hung request. @default hangDeadlineMs(25_000) */
  hangMs?: number;
  /** Keep upstream connections alive and share them between clients. @default true */
  keepAlive?: boolean;
  /** At most this many upstream connections at once. @default Infinity */
  pool?: number;
}

export async function startCountingProxy(target: { host: string; port: number }, opts: CountingProxyOptions = {}): Promise<CountingProxy> {
  const t0 = opts.t0 ?? Date.now();
  const hangMs = opts.hangMs ?? hangDeadlineMs(25_000);
  const zero = (): Record<SessionUnknownCause, number> => ({ misrouted: 0, ended: 0, unknown: 0 });
  const counts: ProxyCounts = {
    polls: 0,
    byStatus: {},
    byClass: {},
    sessionUnknown: zero(),
    wsSessionUnknown: zero(),
    sessionUnknownUnlabelled: 0,
    wsSessionUnknownUnlabelled: 0,
    badSamples: [],
    wsUpgrades: 0,
    wsByStatus: {},
    forwarded: 0,
    hung: 0,
    closedNoResponse: 0,
    abandoned: 0,
    unjudgedAtClose: 0,
    lost: [],
    hangMs,
  };
  const buckets: Bucket[] = [];
  const sessionUnknownBySid = new Map<string, SessionUnknownCause>();
  let upstreamConnections = 0;
  let retries = 0;
  let closing = false;
  const pending = new Set<Pending>();
  const agent = new http.Agent({ keepAlive: opts.keepAlive ?? true, maxSockets: opts.pool ?? Infinity, maxFreeSockets: 256 });
  const origCreate = agent.createConnection.bind(agent);
  agent.createConnection = ((...args: Parameters<typeof origCreate>) => {
    upstreamConnections += 1;
    return origCreate(...args);
  }) as typeof agent.createConnection;
  const sockets = new Set<net.Socket>();

  const noteLost = (p: Pending, kind: LostRequest['kind'], detail: string) => {
    if (kind === 'hung') counts.hung += 1;
    else counts.closedNoResponse += 1;
    if (counts.lost.length < MAX_LOST_KEPT) counts.lost.push({ at: Date.now(), sentAt: p.sentAt, kind, what: p.what, detail });
  };
  const track = (what: string): Pending => {
    counts.forwarded += 1;
    const p: Pending = { sentAt: Date.now(), what, hung: false, settled: false, timer: undefined as unknown as NodeJS.Timeout };
    p.timer = setTimeout(() => {
      if (p.settled || closing) return;
      p.hung = true;
      noteLost(p, 'hung', `no response head within ${hangMs} ms`);
    }, hangMs);
    p.timer.unref();
    pending.add(p);
    return p;
  };
  /** The request is over: answered, abandoned by its client, or closed upstream without an answer. */
  const settle = (p: Pending, how: 'answered' | 'abandoned' | 'closed', detail = '') => {
    if (p.settled) return;
    p.settled = true;
    clearTimeout(p.timer);
    pending.delete(p);
    if (closing || p.hung) return;
    if (how === 'abandoned') counts.abandoned += 1;
    if (how === 'closed') noteLost(p, 'closed', detail);
  };

  const noteSessionUnknown = (sid: string | null, r: { cause: SessionUnknownCause; labelled: boolean }, ws: boolean) => {
    (ws ? counts.wsSessionUnknown : counts.sessionUnknown)[r.cause] += 1;
    if (!r.labelled) counts[ws ? 'wsSessionUnknownUnlabelled' : 'sessionUnknownUnlabelled'] += 1;
    if (sid && !sessionUnknownBySid.has(sid) && sessionUnknownBySid.size < MAX_SIDS_KEPT) sessionUnknownBySid.set(sid, r.cause);
  };

  const record = (status: number, body: string, what: string, sid: string | null, causeHeader?: string | string[]) => {
    const cls = classifyPollingResponse(status, body);
    counts.polls += 1;
    inc(counts.byStatus, String(status));
    inc(counts.byClass, cls);
    const sec = Math.max(0, Math.floor((Date.now() - t0) / 1000));
    while (buckets.length <= sec) buckets.push({ polls: 0, byStatus: {}, byClass: {}, sessionUnknown: {} });
    const b = buckets[sec]!;
    b.polls += 1;
    inc(b.byStatus, String(status));
    inc(b.byClass, cls);
    const su = sessionUnknownCause(status, causeHeader, cls);
    if (su) {
      noteSessionUnknown(sid, su, false);
      inc((b.sessionUnknown ??= {}), su.cause);
    }
    if ((status >= 400 || status === 0) && counts.badSamples.length < 20) {
      counts.badSamples.push(`${what} -> ${status}${su?.labelled ? ` [${SESSION_CAUSE_HEADER}: ${su.cause}]` : ''} ${body.slice(0, 200)}`);
    }
  };

  // Like an edge proxy with upstream keep-alive: a request that meets a pooled connection the
  // service closed meanwhile (reset before any answer) is retried once on a new connection.
  const forward = (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse, polling: boolean, what: string, p: Pending, retried: boolean) => {
    const headers = { ...req.headers };
    delete headers.connection;
    const sid = polling ? sidOf(req.url) : null;
    const out = http.request({ host: target.host, port: target.port, method: req.method, path: req.url, headers, agent }, (answer) => {
      settle(p, 'answered');
      const status = answer.statusCode ?? 502;
      res.writeHead(status, answer.headers);
      if (!polling || status === 200) {
        if (polling) record(200, '', what, sid);
        answer.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => {
        chunks.push(c);
        res.write(c);
      });
      answer.on('end', () => {
        record(status, Buffer.concat(chunks).toString('utf8'), what, sid, answer.headers[SESSION_CAUSE_HEADER]);
        res.end();
      });
      answer.on('error', () => res.destroy());
    });
    const sentAt = Date.now();
    out.on('error', (e: NodeJS.ErrnoException) => {
      // Only the keep-alive race (the reset comes back at once), not a request cut mid-flight.
      const stale = out.reusedSocket && !retried && Date.now() - sentAt < 100 && (e.code === 'ECONNRESET' || e.code === 'EPIPE' || e.message === 'socket hang up');
      if (stale && !res.headersSent) {
        retries += 1;
        forward(req, body, res, polling, what, p, true);
        return;
      }
      settle(p, 'closed', `upstream: ${e.code ?? e.message}`);
      if (polling) record(502, `proxy: ${e.message}`, what, sid);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`proxy: ${e.message}`);
      else res.destroy();
    });
    out.end(body);
  };

  const server = http.createServer((req, res) => {
    const polling = req.url?.startsWith('/socket.io/') === true && req.url.includes('transport=polling');
    const what = `${req.method} ${req.url?.replace(/sid=[^&]+/, 'sid=…')}`;
    const p = track(what);
    // The client went away before any answer (a reload, an aborted poll): not a lost request.
    res.on('close', () => settle(p, 'abandoned'));
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => forward(req, Buffer.concat(chunks), res, polling, what, p, false));
  });

  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    counts.wsUpgrades += 1;
    const what = `${req.method} ${req.url?.replace(/sid=[^&]+/, 'sid=…')} (upgrade)`;
    const sid = sidOf(req.url);
    const p = track(what);
    const up = net.connect(target.port, target.host, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`, ...headerLines(req.rawHeaders)];
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      up.write(head);
    });
    // The answer's status at once; for a 400 its head (the cause header) and body too.
    let first: string | null = null;
    let counted = false;
    const countHead = (final: boolean) => {
      if (counted || first === null) return;
      const r = parseRawResponse(first);
      // Engine.IO ends a refused upgrade with the connection: read it all, up to 4 KiB.
      if (r.status === 400 && !final && first.length < 4096) return;
      counted = true;
      inc(counts.wsByStatus, r.status === null ? 'unknown' : String(r.status));
      if (r.status !== 400) return;
      const cls: PollingClassification = /Session ID unknown/.test(r.body) || r.body.includes('"code":1') ? 'session_unknown' : 'bad_request';
      const su = sessionUnknownCause(400, r.headers[SESSION_CAUSE_HEADER], cls);
      if (su) noteSessionUnknown(sid, su, true);
    };
    up.on('data', (chunk: Buffer) => {
      if (first === null) settle(p, 'answered');
      if (!counted) {
        first = (first ?? '') + chunk.toString('latin1');
        countHead(false);
      }
    });
    up.pipe(socket);
    socket.pipe(up);
    sockets.add(up);
    up.on('close', () => {
      countHead(true);
      settle(p, 'closed', 'upstream closed before answering the upgrade');
      sockets.delete(up);
      socket.destroy();
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
    socket.on('close', () => {
      settle(p, 'abandoned');
      up.destroy();
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    buckets,
    sessionUnknownBySid,
    upstreamConnections: () => upstreamConnections,
    retries: () => retries,
    waiting: () => pending.size,
    close: async () => {
      // What is still waiting within its deadline is not judged; nothing cut from here on is lost.
      counts.unjudgedAtClose = [...pending].filter((p) => !p.hung).length;
      closing = true;
      for (const p of pending) clearTimeout(p.timer);
      agent.destroy();
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Polling 400 answers that are a defect: all of them but those for sessions this deployment
 * ended (`x-transit-session: ended`, the protocol's answer after a recycle, a kill or a close).
 */
export function defect400s(counts: ProxyCounts): number {
  return (counts.byStatus['400'] ?? 0) - counts.sessionUnknown.ended;
}

function headerLines(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push(`${raw[i]}: ${raw[i + 1]}`);
  return out;
}

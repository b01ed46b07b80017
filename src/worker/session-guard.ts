import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { RefusalLog } from '../logging/refusal-log.js';
import type { SessionUnknownCauseLabel, TransportLabel } from '../metrics/metric-names.js';
import type { WorkerMetrics } from '../metrics/worker-metrics.js';
import { flyReplayHeaders, flyReplayResponse } from '../shared/fly-replay.js';
import type { AddressGate } from './address-gate.js';
import type { ClosedSessions } from './closed-sessions.js';
import { refuseRawSocket } from '../http/raw-refusals.js';
import { FORWARDED_HEADER, forwardRequest, forwardUpgrade } from './forward.js';
import { engineQuery } from './engine-query.js';
import { decideSession, type SessionDecision, type SessionLookups } from './session-decision.js';
import { abortUpgradeSessionUnknown, answerSessionUnknown, tagSessionUnknown } from './session-unknown.js';
import type { WorkerDirectory } from './worker-directory.js';

export interface SessionGuardOptions {
  me: number;
  /** This instance's name when several share a deployment; see `Router`. */
  instance?: string;
  sticky: boolean;
  enginePath: string;
  directory: WorkerDirectory;
  closed: ClosedSessions;
  metrics: WorkerMetrics;
  logger: Logger;
  /** Sampled warn lines for unknown and misrouted session ids. */
  refusals: RefusalLog;
  /** Per-address limits on handshakes and `/api/vehicles`, checked before anything else; absent = none. */
  gate?: AddressGate;
  isDraining: () => boolean;
  /** Whether Engine.IO holds `sid` on this worker now. */
  hasSession: (sid: string) => boolean;
  /** Whether `socket` came from the public port (handed in by the primary), not from a sibling. */
  fromPublicPort: (socket: Socket) => boolean;
  /** Bounds of a relayed request (see `ForwardTarget`). */
  maxBodyBytes: number;
  forwardTimeoutMs: number;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;
type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * Puts itself in front of Engine.IO on the worker's HTTP server, for requests and websocket
 * upgrades alike (it must be installed after Socket.IO attached, which wraps the listeners
 * present then), and applies {@link decideSession} to every `/socket.io/` request: Engine.IO
 * answers its own sessions; a live sibling's session is forwarded over loopback; a session
 * this deployment closed gets Engine.IO's `400 Session ID unknown`, counted by cause in
 * `transit_session_unknown_total` and named in the `x-transit-session` header. It also
 * counts every long-polling response by method and status.
 */
export function installSessionGuard(server: Server, opts: SessionGuardOptions): void {
  const o: Guard = { ...opts, lookups: lookupsOf(opts), countFinished: countFinishedPoll(opts.metrics) };
  const downstream = server.listeners('request') as Listener[];
  server.removeAllListeners('request');
  const passOn: Listener = (req, res) => {
    for (const l of downstream) l.call(server, req, res);
  };
  const route = (req: IncomingMessage, res: ServerResponse, forwarded: boolean) => {
    if (!req.url?.startsWith(o.enginePath)) return passOn(req, res);
    onRequest(req, res, forwarded, passOn, o);
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const forwarded = trustForwarded(req, o);
    // A request a sibling forwarded was counted there.
    const gated = forwarded ? null : o.gate?.request(req, res);
    if (!gated) return route(req, res, forwarded);
    void gated.then((go) => (go ? route(req, res, forwarded) : countRefusedPoll(req, o)));
  });
  const upgrades = server.listeners('upgrade') as UpgradeListener[];
  server.removeAllListeners('upgrade');
  const passUpgrade: UpgradeListener = (req, socket, head) => {
    for (const l of upgrades) l.call(server, req, socket, head);
  };
  const routeUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer, forwarded: boolean) => {
    // Engine.IO would end a foreign upgrade after 1 s without a status line.
    if (!req.url?.startsWith(o.enginePath)) return refuseRawSocket(socket, 400, `upgrades are served on ${o.enginePath} only\n`);
    onUpgrade(req, socket, head, forwarded, passUpgrade, o);
  };
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const forwarded = trustForwarded(req, o);
    const gated = forwarded ? null : o.gate?.upgrade(req, socket);
    if (!gated) return routeUpgrade(req, socket, head, forwarded);
    void gated.then((go) => go && routeUpgrade(req, socket, head, forwarded));
  });
}

/** The forwarded-by marker counts only on the loopback path between siblings; elsewhere it is removed. */
function trustForwarded(req: IncomingMessage, o: SessionGuardOptions): boolean {
  if (req.headers[FORWARDED_HEADER] === undefined) return false;
  if (!o.fromPublicPort(req.socket)) return true;
  delete req.headers[FORWARDED_HEADER];
  return false;
}

/** The options with what every request shares, built once: the decision's lookups and the polling-response counter. */
interface Guard extends SessionGuardOptions {
  lookups: SessionLookups;
  countFinished: (this: ServerResponse) => void;
}

function lookupsOf(o: SessionGuardOptions): SessionLookups {
  return {
    me: o.me,
    instance: o.instance,
    sticky: o.sticky,
    hasSession: o.hasSession,
    closedHere: (s) => o.closed.causeOf(s) !== undefined,
    portOf: (w) => o.directory.portOf(w),
    isGone: (w) => o.directory.goneCause(w) !== undefined,
    acceptingPeer: () => o.directory.acceptingPeer(o.me),
  };
}

function decide(req: IncomingMessage, forwarded: boolean, o: Guard): { sid: string | undefined; transport: string | undefined; decision: SessionDecision } {
  const { sid, transport } = engineQuery(req);
  return { sid, transport, decision: decideSession({ sid, draining: o.isDraining(), forwarded }, o.lookups) };
}

function onRequest(req: IncomingMessage, res: ServerResponse, forwarded: boolean, passOn: Listener, o: Guard): void {
  const { sid, transport, decision: d } = decide(req, forwarded, o);
  if (transport === 'polling' && !forwarded) res.on('finish', o.countFinished);
  // A draining worker moves keep-alive connections off itself, one response at a time.
  if (o.isDraining()) res.setHeader('Connection', 'close');
  switch (d.kind) {
    case 'engine':
      return passOn(req, res);
    case 'unknown':
      countUnknown(o, d.cause, 'polling', sid);
      if (d.answer === 'self') {
        req.resume();
        return answerSessionUnknown(res, d.cause);
      }
      tagSessionUnknown(res, d.cause);
      return passOn(req, res);
    case 'forward':
      return forwardRequest(req, res, forwardBounds(o, d.port), () => {
        // The owner went away between the directory and the connect: its session ended with it.
        countUnknown(o, 'ended', 'polling', sid);
        answerSessionUnknown(res, 'ended');
      });
    case 'replay':
      req.resume();
      res.writeHead(409, flyReplayHeaders(d.instance)).end(`session belongs to instance ${d.instance}\n`);
      return;
    case 'handshake-elsewhere':
      return forwardRequest(req, res, forwardBounds(o, d.port), () => refuseWhileStopping(req, res));
    case 'refuse-stopping':
      return refuseWhileStopping(req, res);
  }
}

function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, forwarded: boolean, passOn: UpgradeListener, o: Guard): void {
  const { sid, decision: d } = decide(req, forwarded, o);
  switch (d.kind) {
    case 'engine':
    case 'handshake-elsewhere':
    case 'refuse-stopping':
      return passOn(req, socket, head);
    case 'unknown':
      countUnknown(o, d.cause, 'websocket', sid);
      return abortUpgradeSessionUnknown(socket, d.cause);
    case 'forward':
      return forwardUpgrade(req, socket, head, { port: d.port, fromWorker: o.me }, () => {
        countUnknown(o, 'ended', 'websocket', sid);
        abortUpgradeSessionUnknown(socket, 'ended');
      });
    case 'replay':
      socket.end(flyReplayResponse(d.instance));
      setTimeout(() => socket.destroy(), 2_000).unref();
      return;
  }
}

function forwardBounds(o: Guard, port: number) {
  return { port, fromWorker: o.me, maxBodyBytes: o.maxBodyBytes, timeoutMs: o.forwardTimeoutMs };
}

function countUnknown(o: SessionGuardOptions, cause: SessionUnknownCauseLabel, transport: TransportLabel, sid: string | undefined): void {
  o.metrics.sessionUnknown.inc({ cause, transport });
  // The seed's bug must never happen silently, and an id never issued here (forged, or from
  // another deployment) is worth a look; both are sampled so a client cannot flood the log.
  // `ended` is the protocol's answer after a recycle: counted, not logged.
  // A misrouted id is a live session's: only its worker part is logged (the id lets a reader take the session over).
  if (cause === 'misrouted') o.refusals.refused('session_misrouted', { owner: sid?.split('.')[0]?.slice(0, 64), transport }, 'a request reached a worker that does not hold its session (400 Session ID unknown): the router sent it to the wrong worker');
  else if (cause === 'unknown') o.refusals.refused('session_unknown', { sid: sid?.slice(0, 64), transport }, 'a request named a session id this deployment never issued (400 Session ID unknown): a forged id, or a client of another deployment');
}

function refuseWhileStopping(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  res.writeHead(503, { 'Content-Type': 'text/plain', 'Retry-After': '1', Connection: 'close' });
  res.end('shutting down: connect again in a moment\n');
}

/** A polling handshake the gate answered 429 is a long-polling response too (`transit_polling_requests_total`). */
function countRefusedPoll(req: IncomingMessage, o: SessionGuardOptions): void {
  if (req.url?.startsWith(o.enginePath) && engineQuery(req).transport === 'polling') o.metrics.pollingRequests.inc({ method: req.method ?? 'GET', status: '429' });
}

/** Counts a long-polling response once it is sent; one listener for every response (`res.on('finish', …)`, called with the response as `this`). */
function countFinishedPoll(metrics: WorkerMetrics): (this: ServerResponse) => void {
  return function (this: ServerResponse) {
    metrics.pollingRequests.inc({ method: this.req.method ?? 'GET', status: String(this.statusCode) });
  };
}

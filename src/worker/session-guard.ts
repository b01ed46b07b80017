import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { WorkerMetrics } from '../metrics/worker-metrics.js';
import { flyReplayHeaders } from '../primary/fly-replay.js';
import { foreignInstance, ownerOfSession } from '../primary/session-id.js';
import type { ClosedSessions } from './closed-sessions.js';
import { FORWARDED_HEADER, forwardRequest } from './forward.js';
import { answerLostSession } from './lost-session.js';
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
  isDraining: () => boolean;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Puts itself in front of Engine.IO on the worker's HTTP server (it must be installed
 * after Socket.IO attached, which wraps the listeners present then) and decides, per
 * request, who answers a `/socket.io/` request:
 * - a session this worker closed while draining → the close answer;
 * - a session of another live worker → forwarded to it over loopback;
 * - a session of a worker that is gone → the close answer (the client reconnects);
 * - anything else, including forged ids → Engine.IO, which answers unknown ids with 400.
 * It also counts every long-polling response by method and status.
 */
export function installSessionGuard(server: Server, opts: SessionGuardOptions): void {
  const downstream = server.listeners('request') as Listener[];
  server.removeAllListeners('request');
  const passOn: Listener = (req, res) => {
    for (const l of downstream) l.call(server, req, res);
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!req.url?.startsWith(opts.enginePath)) return passOn(req, res);
    route(req, res, passOn, opts);
  });
}

function route(req: IncomingMessage, res: ServerResponse, passOn: Listener, o: SessionGuardOptions): void {
  const url = req.url!;
  const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
  const forwardedBy = req.headers[FORWARDED_HEADER];
  if (query.get('transport') === 'polling' && !forwardedBy) countResponse(req, res, o.metrics);
  // A draining worker moves keep-alive connections off itself, one response at a time.
  if (o.isDraining()) res.setHeader('Connection', 'close');
  const sid = query.get('sid');
  if (sid && o.closed.causeOf(sid)) return answerLostSession(req, res);
  if (!o.sticky || forwardedBy) return passOn(req, res);
  if (!sid) {
    if (!o.isDraining()) return passOn(req, res);
    const peer = o.directory.acceptingPeer(o.me);
    if (peer) return forwardRequest(req, res, { port: peer, fromWorker: o.me }, () => refuseWhileStopping(req, res));
    // Every worker drains (shutdown): a new session here would only be closed again.
    return refuseWhileStopping(req, res);
  }
  const elsewhere = foreignInstance(sid, o.instance);
  if (elsewhere) {
    req.resume();
    res.writeHead(409, flyReplayHeaders(elsewhere)).end(`session belongs to instance ${elsewhere}\n`);
    return;
  }
  const owner = ownerOfSession(sid);
  if (owner === null || owner === o.me) return passOn(req, res);
  const port = o.directory.portOf(owner);
  if (port) {
    return forwardRequest(req, res, { port, fromWorker: o.me }, () => answerLostSession(req, res));
  }
  const cause = o.directory.goneCause(owner);
  if (cause) {
    // One line per lost session: its client polls (GET) once more, gets the close, reconnects.
    if (req.method === 'GET') o.logger.info({ sid, owner, cause, event: 'session_lost' }, 'session of a departed worker: answered close so the client reconnects');
    return answerLostSession(req, res);
  }
  passOn(req, res);
}

function refuseWhileStopping(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  res.writeHead(503, { 'Content-Type': 'text/plain', 'Retry-After': '1', Connection: 'close' });
  res.end('shutting down: connect again in a moment\n');
}

function countResponse(req: IncomingMessage, res: ServerResponse, metrics: WorkerMetrics): void {
  res.once('finish', () => metrics.pollingRequests.inc({ method: req.method ?? 'GET', status: String(res.statusCode) }));
}

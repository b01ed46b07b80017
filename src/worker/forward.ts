import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream';

/**
 * Header a worker adds to a request it forwards, so the owner never forwards it again. It is
 * honoured only on the loopback forwarding path: on a connection from the public port the
 * guard ignores (and strips) it.
 */
export const FORWARDED_HEADER = 'x-transit-forwarded-by';

/** Node's default `server.keepAliveTimeout`, which every worker's HTTP server keeps. */
const OWNER_KEEP_ALIVE_MS = 5_000;
/** Pooled loopback connections are dropped before the owner would close them under us. */
const POOL_IDLE_MS = OWNER_KEEP_ALIVE_MS - 1_000;

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'content-length'];

const pooled = new http.Agent({ keepAlive: true, maxSockets: Infinity, timeout: POOL_IDLE_MS });
/** For the one retry: a fresh connection, never a pooled one that may be stale too. */
const fresh = new http.Agent({ keepAlive: false });

export interface ForwardTarget {
  port: number;
  fromWorker: number;
  /** Longest request body relayed (Engine.IO's maxHttpBufferSize); larger ones get 413. */
  maxBodyBytes: number;
  /** Longest a relayed request may take (a long-poll lasts at most one ping interval). */
  timeoutMs: number;
}

/**
 * Relays one HTTP request to the worker that owns its session, over loopback. Used only
 * when a keep-alive connection (a browser's, or a reverse proxy's pooled one) carries a
 * request for a session of another worker; the primary routes every new connection right.
 * The body is read first (Engine.IO's are small and bounded), so a request that meets a
 * pooled connection the owner just closed is sent again once on a fresh one. Calls
 * `unreachable` (before anything was answered) if the owner cannot be reached at all.
 */
export function forwardRequest(req: IncomingMessage, res: ServerResponse, target: ForwardTarget, unreachable: () => void): void {
  readBody(req, target.maxBodyBytes, (body) => {
    if (body === null) {
      res.writeHead(413, { 'Content-Type': 'text/plain', Connection: 'close' }).end('payload too large\n');
      return;
    }
    send(req, res, target, body, false, unreachable);
  });
}

function send(req: IncomingMessage, res: ServerResponse, target: ForwardTarget, body: Buffer, retry: boolean, unreachable: () => void): void {
  const headers: http.OutgoingHttpHeaders = { ...req.headers, [FORWARDED_HEADER]: String(target.fromWorker) };
  for (const h of HOP_BY_HOP) delete headers[h];
  headers['content-length'] = body.byteLength;
  let answered = false;
  const out = http.request(
    { host: '127.0.0.1', port: target.port, method: req.method, path: req.url, headers, agent: retry ? fresh : pooled, timeout: target.timeoutMs },
    (answer) => {
      answered = true;
      // The client left in the turn the answer came (its response is destroyed, the 'close'
      // below has not run yet): drop the answer. `pipeline` into a destroyed stream throws.
      if (res.destroyed) return void answer.destroy();
      const copy = { ...answer.headers };
      for (const h of HOP_BY_HOP) delete copy[h];
      if (answer.headers['content-length']) copy['content-length'] = answer.headers['content-length'];
      res.writeHead(answer.statusCode ?? 502, copy);
      // A dying owner ends the client's response too, instead of leaving it open.
      pipeline(answer, res, (err) => {
        if (err) res.destroy();
      });
    },
  );
  out.on('timeout', () => out.destroy(new Error('forwarded request timed out')));
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (answered || res.headersSent) return void res.destroy();
    const stale = out.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
    if (stale && !retry) return send(req, res, target, body, true, unreachable);
    unreachable();
  });
  // The client gave up (closed the page): stop the relayed long-poll too.
  res.on('close', () => {
    if (!res.writableFinished) out.destroy();
  });
  out.end(body);
}

/** The whole body, or null once it passes `max` bytes. */
function readBody(req: IncomingMessage, max: number, done: (body: Buffer | null) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  req.on('data', (c: Buffer) => {
    if (over) return;
    size += c.byteLength;
    if (size > max) {
      over = true;
      return;
    }
    chunks.push(c);
  });
  req.once('end', () => done(over ? null : Buffer.concat(chunks, size)));
  req.once('error', () => undefined);
}

/**
 * Relays a websocket upgrade for a session of another worker: the request head goes to the
 * owner's loopback port as it came (plus {@link FORWARDED_HEADER}), then bytes flow both
 * ways until either side closes.
 */
export function forwardUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: { port: number; fromWorker: number }, unreachable: () => void): void {
  const lines = [`${req.method} ${req.url} HTTP/1.1`];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]!.toLowerCase() === FORWARDED_HEADER) continue;
    lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
  }
  lines.push(`${FORWARDED_HEADER}: ${target.fromWorker}`);
  let connected = false;
  const up = net.connect({ host: '127.0.0.1', port: target.port, noDelay: true }, () => {
    connected = true;
    // The client left while we connected: nothing to relay (`pipeline` into it would throw).
    if (socket.destroyed) return void up.destroy();
    up.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.byteLength > 0) up.write(head);
    pipeline(up, socket, () => socket.destroy());
    pipeline(socket, up, () => up.destroy());
  });
  up.once('error', () => {
    if (!connected) unreachable();
    else socket.destroy();
  });
  socket.once('error', () => up.destroy());
}

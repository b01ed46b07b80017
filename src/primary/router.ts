import net from 'node:net';
import type { Logger } from 'pino';
import type { RefusalLog } from '../logging/refusal-log.js';
import { ConnectionLedger, type LedgerLimits } from './connection-ledger.js';
import { flyReplayResponse } from '../shared/fly-replay.js';
import { parseRequestHead, type RequestHead } from './request-line.js';
import { foreignInstance } from '../shared/session-id.js';
import { chooseWorker, type RoutingTable } from './routing.js';

/** How long a new connection may take to send its request line. */
export const FIRST_LINE_TIMEOUT_MS = 10_000;
/** How long a refused connection may stay half-open after its answer before it is cut. */
export const REJECT_DEADLINE_MS = 2_000;
/**
 * Accept queue of the public port (the kernel clamps it to `net.core.somaxconn`). Node's 511
 * drops SYNs when thousands of clients reconnect at once (a recycle, a deploy), and a
 * dropped SYN costs its client a 1 s retransmit.
 */
export const LISTEN_BACKLOG = 4096;

/** Why the router answered a connection itself (`transit_router_refused_total{reason}`). */
export type RouterRefusal = 'bad_request' | 'max_connections' | 'max_connections_per_ip' | 'no_worker' | 'worker_gone';

export interface RouterOptions {
  sticky: boolean;
  /** This instance's name when several share a deployment (REDIS_URL); sessions of others are replayed there. */
  instance?: string;
  limits: LedgerLimits;
  logger: Logger;
  table: () => RoutingTable;
  /**
   * Sends connection `cid` (reading stopped) and the bytes read so far to a worker over IPC.
   * False when the worker cannot take it now.
   */
  send: (workerId: number, cid: number, socket: net.Socket, head: Buffer, failed: () => void) => boolean;
  refused?: (reason: RouterRefusal) => void;
  /** Sampled warn lines for refusals (every one is counted through `refused`). */
  refusals?: RefusalLog;
}

/** What a refusal means for whoever reads the log line, and what to do about it. */
const REFUSAL_ADVICE: Record<RouterRefusal, string> = {
  bad_request: 'not an HTTP/1.x request line (400): a scanner, or TLS spoken to the plain-HTTP port',
  max_connections: 'over MAX_CONNECTIONS open connections (503): raise it or add machines',
  max_connections_per_ip: 'over MAX_CONNECTIONS_PER_IP open connections from one address (503): behind a proxy set it to 0',
  no_worker: 'no worker ready (503): workers are restarting; see transit_worker_restarts_total',
  worker_gone: 'the worker died before it took the connection (503): see transit_worker_restarts_total',
};

/** A connection sent to a worker that has not yet said it got it. */
interface InFlight {
  workerId: number;
  socket: net.Socket;
  /** The libuv handle, kept: Node detaches it from `socket` when the IPC write starts. */
  handle: unknown;
}

/**
 * The public port. Reads each new connection's first request line, picks its worker
 * (the session's owner, or round-robin for new sessions) and passes the socket itself to
 * that worker over IPC, so the primary relays no bytes after the first packet.
 *
 * No byte is lost in the hand-off: the primary stops reading (libuv `readStop`) in the same
 * callback that completes the request line, so whatever the client sends afterwards stays in
 * the kernel's buffer of the descriptor the worker receives, and everything read before is
 * carried in the message. (`socket.pause()` alone does not stop libuv: Node keeps reading
 * until the worker acknowledges the handle and drops what it reads meanwhile.)
 *
 * It also keeps the port's connection caps (in total and per address, across workers, see
 * {@link ConnectionLedger}), and answers 503 to connections still in flight to a worker that
 * died before it took them.
 */
export class Router {
  private readonly server: net.Server;
  private readonly ledger: ConnectionLedger;
  private readonly inFlight = new Map<number, InFlight>();
  private turn = 0;

  constructor(private readonly opts: RouterOptions) {
    this.ledger = new ConnectionLedger(opts.limits);
    // TCP_NODELAY here, at accept: the descriptor keeps it in the worker, where nothing sets it
    // again (net.Server sets it at accept; an HTTP server given a socket by `emit('connection')` does not).
    this.server = net.createServer({ pauseOnConnect: true, noDelay: true }, (socket) => this.accept(socket));
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
        this.server.off('error', reject);
        // After listen an error (EMFILE on accept, …) must not crash the primary.
        this.server.on('error', (err) => this.opts.logger.error({ err: err.message, event: 'router_error' }, 'public port error'));
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  /** Stops accepting connections; those already handed to workers are theirs to close. */
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Open connections on the public port, and from one address. */
  get openConnections(): number {
    return this.ledger.size;
  }

  /** Connections handed to a worker that has not yet said it took them (in flight or waiting in its lane). */
  get handoffsPending(): number {
    return this.inFlight.size;
  }

  /** The worker took these connections (its IPC acknowledgement of our message). */
  acknowledged(cids: readonly number[]): void {
    for (const cid of cids) this.inFlight.delete(cid);
  }

  /** These connections, held by a worker, have closed. */
  closed(cids: readonly number[]): void {
    for (const cid of cids) {
      this.inFlight.delete(cid);
      this.ledger.release(cid);
    }
  }

  /**
   * Worker `workerId` exited. Connections it had not yet taken are answered 503 (the
   * client retries), the rest were closed with the process; all leave the ledger.
   */
  workerGone(workerId: number): void {
    let answered = 0;
    for (const [cid, f] of this.inFlight) {
      if (f.workerId !== workerId) continue;
      this.inFlight.delete(cid);
      const socket = f.socket.destroyed ? null : reclaim(f);
      if (socket) {
        answered += 1;
        this.reject(socket, 503, 'worker_gone', 'the worker died before it took this connection');
      }
    }
    this.ledger.releaseWorker(workerId);
    if (answered > 0) this.opts.logger.warn({ worker: workerId, answered, event: 'handoff_orphaned' }, `${answered} connections in flight to a dead worker answered 503`);
  }

  private accept(socket: net.Socket): void {
    socket.on('error', () => socket.destroy());
    // The peer's address costs a getpeername(2) per connection: only read when a per-address cap counts it.
    const admitted = this.ledger.admit(this.opts.limits.maxPerIp > 0 ? (socket.remoteAddress ?? '?') : '');
    if ('refused' in admitted) {
      this.reject(socket, 503, admitted.refused, admitted.refused === 'max_connections' ? 'too many open connections' : 'too many open connections from your address');
      return;
    }
    const cid = admitted.id;
    let handed = false;
    socket.once('close', () => {
      if (!handed) this.ledger.release(cid);
    });
    const chunks: Buffer[] = [];
    let bytes = 0;
    const timer = setTimeout(() => socket.destroy(), FIRST_LINE_TIMEOUT_MS);
    timer.unref();
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      bytes += chunk.byteLength;
      const buf = chunks.length === 1 ? chunk : Buffer.concat(chunks, bytes);
      let head: RequestHead | null;
      try {
        head = parseRequestHead(buf);
      } catch (error) {
        clearTimeout(timer);
        socket.off('data', onData);
        this.reject(socket, 400, 'bad_request', (error as Error).message);
        return;
      }
      if (!head) return;
      // Same callback as the read that completed the line: nothing further is read here.
      socket.off('data', onData);
      clearTimeout(timer);
      const carried = drainBuffered(socket, buf);
      stopReading(socket);
      handed = this.route(socket, cid, head, carried);
    };
    socket.on('data', onData);
    socket.resume();
  }

  /** True when the socket went to a worker (which then reports its close). */
  private route(socket: net.Socket, cid: number, head: RequestHead, buf: Buffer): boolean {
    const elsewhere = this.opts.sticky && head.engine && head.sid ? foreignInstance(head.sid, this.opts.instance) : null;
    if (elsewhere) {
      endWithin(socket, flyReplayResponse(elsewhere));
      return false;
    }
    const choice = chooseWorker(head, this.opts.table(), this.opts.sticky, this.turn++);
    if (!choice) {
      this.reject(socket, 503, 'no_worker', 'no worker is ready');
      return false;
    }
    const handle = (socket as unknown as { _handle: unknown })._handle;
    this.inFlight.set(cid, { workerId: choice.workerId, socket, handle });
    this.ledger.assign(cid, choice.workerId);
    if (this.opts.send(choice.workerId, cid, socket, buf, () => this.sendFailed(cid))) return true;
    this.inFlight.delete(cid);
    this.ledger.assign(cid, 0);
    this.reject(socket, 503, 'no_worker', 'worker unavailable');
    return false;
  }

  /** The IPC write failed (the worker is exiting): answer 503 if the connection can still be reached. */
  private sendFailed(cid: number): void {
    const f = this.inFlight.get(cid);
    this.inFlight.delete(cid);
    this.ledger.release(cid);
    const socket = f && !f.socket.destroyed ? reclaim(f) : null;
    if (socket) this.reject(socket, 503, 'worker_gone', 'worker unavailable');
  }

  private reject(socket: net.Socket, status: 400 | 503, reason: RouterRefusal, detail: string): void {
    this.opts.refused?.(reason);
    this.opts.refusals?.refused(reason, { status, detail, remote: socket.remoteAddress }, `the router refused a connection: ${REFUSAL_ADVICE[reason]}`);
    const text = status === 400 ? 'Bad Request' : 'Service Unavailable';
    const body = `${detail}\n`;
    endWithin(
      socket,
      `HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `${status === 503 ? 'Retry-After: 1\r\n' : ''}Connection: close\r\n\r\n${body}`,
    );
  }
}

/**
 * Stops libuv reading this socket now and for good (see the class comment); what is unread
 * stays in the kernel. `_read` becomes a no-op because the stream restarts libuv from it:
 * every pushed chunk schedules a `maybeReadMore` on the next tick, which calls `read(0)`.
 */
function stopReading(socket: net.Socket): void {
  const handle = (socket as unknown as { _handle?: { reading?: boolean; readStop?: () => number } })._handle;
  (socket as unknown as { _read: () => void })._read = () => undefined;
  socket.pause();
  if (handle?.readStop) {
    handle.reading = false;
    handle.readStop();
  }
}

/**
 * `head` plus anything the stream had buffered but not yet emitted. (`read()` restarts
 * libuv reading, so {@link stopReading} must come after it, in the same tick.)
 */
function drainBuffered(socket: net.Socket, head: Buffer): Buffer {
  if (socket.readableLength === 0) return head;
  const more: Buffer[] = [];
  for (let c = socket.read() as Buffer | null; c !== null; c = socket.read() as Buffer | null) more.push(c);
  return more.length === 0 ? head : Buffer.concat([head, ...more]);
}

/** Writes a final answer and closes; a peer that keeps the connection half-open is cut at the deadline. */
function endWithin(socket: net.Socket, answer: string): void {
  socket.end(answer);
  setTimeout(() => socket.destroy(), REJECT_DEADLINE_MS).unref();
}

/** A socket for an in-flight connection whose IPC message the dead worker never took, or null. */
function reclaim(f: InFlight): net.Socket | null {
  const s = f.socket as unknown as { _handle: unknown };
  // Still queued behind an earlier hand-off: the socket kept its handle.
  if (s._handle) return f.socket;
  // Already written to the channel: Node detached the handle; it stays open until acknowledged.
  const handle = f.handle as { fd?: number } | undefined;
  if (!handle || (handle.fd !== undefined && handle.fd < 0)) return null;
  try {
    return new net.Socket({ handle: handle as never, readable: false, writable: true });
  } catch {
    return null;
  }
}

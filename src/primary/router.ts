import net from 'node:net';
import type { Logger } from 'pino';
import { flyReplayResponse } from './fly-replay.js';
import { parseRequestHead, type RequestHead } from './request-line.js';
import { foreignInstance } from './session-id.js';
import { chooseWorker, type RoutingTable } from './routing.js';

/** How long a new connection may take to send its request line. */
export const FIRST_LINE_TIMEOUT_MS = 10_000;

export interface RouterOptions {
  sticky: boolean;
  /** This instance's name when several share a deployment (REDIS_URL); sessions of others are replayed there. */
  instance?: string;
  logger: Logger;
  table: () => RoutingTable;
  /** Hands the connection (paused) and the bytes read so far to a worker. */
  handOff: (workerId: number, socket: net.Socket, head: Buffer) => boolean;
}

/**
 * The public port. Reads each new connection's first request line, picks its worker
 * (the session's owner, or round-robin for new sessions) and passes the socket itself to
 * that worker over IPC, so the primary relays no bytes after the first packet. A keep-alive
 * connection then stays with that worker; a later request on it for another worker's
 * session is forwarded by the worker (see `session-guard.ts`).
 */
export class Router {
  private readonly server: net.Server;
  private turn = 0;

  constructor(private readonly opts: RouterOptions) {
    this.server = net.createServer({ pauseOnConnect: true }, (socket) => this.accept(socket));
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port, host }, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  /** Stops accepting connections; those already handed to workers are theirs to close. */
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), FIRST_LINE_TIMEOUT_MS);
    timer.unref();
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      const buf = Buffer.concat(chunks);
      let head: RequestHead | null;
      try {
        head = parseRequestHead(buf);
      } catch (error) {
        clearTimeout(timer);
        this.reject(socket, 400, (error as Error).message);
        return;
      }
      if (!head) return;
      socket.pause();
      socket.off('data', onData);
      clearTimeout(timer);
      this.route(socket, head, buf);
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
    socket.resume();
  }

  private route(socket: net.Socket, head: RequestHead, buf: Buffer): void {
    const elsewhere = this.opts.sticky && head.engine && head.sid ? foreignInstance(head.sid, this.opts.instance) : null;
    if (elsewhere) {
      socket.end(flyReplayResponse(elsewhere));
      return;
    }
    const choice = chooseWorker(head, this.opts.table(), this.opts.sticky, this.turn++);
    if (!choice) {
      this.reject(socket, 503, 'no worker is ready');
      return;
    }
    if (!this.opts.handOff(choice.workerId, socket, buf)) this.reject(socket, 503, 'worker unavailable');
  }

  private reject(socket: net.Socket, status: 400 | 503, reason: string): void {
    this.opts.logger.warn({ status, reason, remote: socket.remoteAddress }, 'router refused a connection');
    const text = status === 400 ? 'Bad Request' : 'Service Unavailable';
    const body = `${reason}\n`;
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `${status === 503 ? 'Retry-After: 1\r\n' : ''}Connection: close\r\n\r\n${body}`,
    );
  }
}

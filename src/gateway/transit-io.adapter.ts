import type { IncomingMessage } from 'node:http';
import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { Observable } from 'rxjs';
import type { Server, ServerOptions, Socket } from 'socket.io';
import type { Config } from '../config/config.js';
import type { SecurityHeaders } from '../http/security-headers.js';
import type { RefusalLog } from '../logging/refusal-log.js';
import type { WorkerMetrics } from '../metrics/worker-metrics.js';
import { newSessionId } from '../shared/session-id.js';
import { bindMessageHandlers } from './message-binding.js';
import { originAllowed } from './origin.js';
import { watchOutput, type CutClient, type EngineConn } from './output-cap.js';
import { newPid } from './reconnect-signal.js';

/** Socket.IO's endpoint; the router and the session guard key on it. */
export const ENGINE_PATH = '/socket.io/';

/** What the adapter reports to and borrows from its worker. */
export interface AdapterHooks {
  /** The security headers every Engine.IO response carries (the API set, `forApiResponse`). */
  security: SecurityHeaders;
  refusals: RefusalLog;
  metrics: WorkerMetrics;
}

/**
 * The one place Socket.IO's server options are set, from the config: heartbeat, payload
 * limit, transports, CORS allow-list and the Origin check of handshakes, session ids that name
 * this worker, and a `pid` in every CONNECT answer. The in-memory adapter is the right one: the
 * primary sends every update to every worker over IPC and each worker fans out its own
 * clients, so nothing is ever broadcast from one worker to another's clients (a cluster
 * adapter would only add its heartbeats and a relay nobody uses).
 * It also puts the security headers on Engine.IO's responses and cuts clients that do not
 * take their output (MAX_CLIENT_BUFFER_BYTES, see output-cap.ts).
 */
export class TransitIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly config: Config,
    private readonly workerId: number,
    private readonly hooks: AdapterHooks,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const c = this.config;
    const server = super.createIOServer(port, {
      ...options,
      path: ENGINE_PATH,
      serveClient: false,
      transports: [...c.TRANSPORTS],
      pingInterval: c.PING_INTERVAL_MS,
      pingTimeout: c.PING_TIMEOUT_MS,
      maxHttpBufferSize: c.MAX_HTTP_BUFFER_SIZE,
      connectTimeout: c.CONNECT_TIMEOUT_MS,
      allowEIO3: false,
      // Other sites may not open sessions from their visitors' browsers (403, Engine.IO code 4).
      allowRequest: (req, done) => done(null, this.originChecked(req.headers.origin, req.headers.host)),
      cors: c.CORS_ORIGINS.length > 0 ? { origin: c.CORS_ORIGINS.includes('*') ? '*' : [...c.CORS_ORIGINS] } : undefined,
    } as ServerOptions);
    // Where the platform names the machine (or with REDIS_URL) the id names this instance, for fly-replay.
    const instance = c.SESSION_INSTANCE;
    server.engine.generateId = () => newSessionId(this.workerId, instance);
    // Engine.IO writes its responses itself, past Express's middleware.
    server.engine.on('headers', (headers: Record<string, string>, req: IncomingMessage) => Object.assign(headers, this.hooks.security.forApiResponse(req)));
    if (c.MAX_CLIENT_BUFFER_BYTES > 0) server.engine.on('connection', (conn: EngineConn) => watchOutput(conn, c.MAX_CLIENT_BUFFER_BYTES, (cut) => this.cut(cut)));
    // Every CONNECT answer offers a pid, which stock clients send back when they reconnect
    // (the reconnect signal; see reconnect-signal.ts for why not connectionStateRecovery).
    server.use((socket, next) => {
      (socket as unknown as { pid: string }).pid = newPid();
      next();
    });
    return server;
  }

  private originChecked(origin: string | undefined, host: string | undefined): boolean {
    if (originAllowed(origin, host, this.config.CORS_ORIGINS)) return true;
    // Counted in transit_engine_connection_errors_total{code="4"}; logged at most once per window.
    this.hooks.refusals.refused(
      'origin',
      { origin: origin?.slice(0, 200), host: host?.slice(0, 200) },
      "a Socket.IO handshake from another site's page was refused (403); if that site may embed the map, add its origin to CORS_ORIGINS",
    );
    return false;
  }

  private cut(c: CutClient): void {
    this.hooks.metrics.socketLimited.inc({ reason: 'output_buffer' });
    this.hooks.refusals.refused(
      'output_buffer',
      { ...c },
      `a client that did not take its output was disconnected (${c.bytes} bytes / ${c.packets} packets queued, MAX_CLIENT_BUFFER_BYTES=${this.config.MAX_CLIENT_BUFFER_BYTES}); if real clients on slow links are cut, raise MAX_CLIENT_BUFFER_BYTES`,
    );
  }

  /** Nest's binding without an rxjs pipeline per socket (see message-binding.ts). */
  override bindMessageHandlers(socket: Socket, handlers: MessageMappingProperties[], transform: (data: unknown) => Observable<unknown>): void {
    bindMessageHandlers(socket, handlers, transform, (p) => this.mapPayload(p) as never);
  }
}

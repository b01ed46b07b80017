import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/cluster-adapter';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { Observable } from 'rxjs';
import type { Server, ServerOptions, Socket } from 'socket.io';
import type { Config } from '../config/config.js';
import { newSessionId } from '../primary/session-id.js';
import { bindMessageHandlers } from './message-binding.js';
import { originAllowed } from './origin.js';
import { newPid } from './reconnect-signal.js';

/** Socket.IO's endpoint; the router and the session guard key on it. */
export const ENGINE_PATH = '/socket.io/';

/**
 * The one place Socket.IO's server options are set, from the config: heartbeat, payload
 * limit, transports, CORS allow-list and the Origin check of handshakes, session ids that name this worker, the cluster
 * adapter so `server.emit()` reaches the clients of every worker, and a `pid` in every CONNECT answer.
 */
export class TransitIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly config: Config,
    private readonly workerId: number,
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
      allowRequest: (req, done) => done(null, originAllowed(req.headers.origin, req.headers.host, c.CORS_ORIGINS)),
      cors: c.CORS_ORIGINS.length > 0 ? { origin: c.CORS_ORIGINS.includes('*') ? '*' : [...c.CORS_ORIGINS] } : undefined,
    } as ServerOptions);
    // Where the platform names the machine (or with REDIS_URL) the id names this instance, for fly-replay.
    const instance = c.SESSION_INSTANCE;
    server.engine.generateId = () => newSessionId(this.workerId, instance);
    server.adapter(createAdapter());
    // Every CONNECT answer offers a pid, which stock clients send back when they reconnect
    // (the reconnect signal; see reconnect-signal.ts for why not connectionStateRecovery).
    server.use((socket, next) => {
      (socket as unknown as { pid: string }).pid = newPid();
      next();
    });
    return server;
  }

  /** Nest's binding without an rxjs pipeline per socket (see message-binding.ts). */
  override bindMessageHandlers(socket: Socket, handlers: MessageMappingProperties[], transform: (data: unknown) => Observable<unknown>): void {
    bindMessageHandlers(socket, handlers, transform, (p) => this.mapPayload(p) as never);
  }
}

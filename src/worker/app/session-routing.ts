import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Logger } from 'pino';
import { CONFIG, LOGGER, WORKER_ID } from '../../config/config.module.js';
import type { Config } from '../../config/config.js';
import { ENGINE_PATH } from '../../gateway/transit-io.adapter.js';
import { VehiclesGateway } from '../../gateway/vehicles.gateway.js';
import { answerRawRefusals } from '../../http/raw-refusals.js';
import type { SecurityHeaders } from '../../http/security-headers.js';
import { PrimaryLink } from '../../ipc/primary-link.js';
import { WorkerState } from '../../live/worker-state.js';
import { RefusalLog } from '../../logging/refusal-log.js';
import { WorkerMetrics } from '../../metrics/worker-metrics.js';
import { workerGate } from '../address-gate.js';
import { ClosedSessions } from '../closed-sessions.js';
import { ConnectionReports } from '../connection-reports.js';
import { RecycleTriggers } from '../recycle-triggers.js';
import { installSessionGuard } from '../session-guard.js';
import { WorkerDirectory } from '../worker-directory.js';
import { HandedIn } from './handed-in.js';
import { SECURITY_HEADERS } from './tokens.js';

/** An Engine.IO session as this file sees it (engine.io's `Socket`). */
interface EngineSession {
  id: string;
  once(event: 'close', listener: () => void): void;
}

/**
 * Where requests meet sessions in a worker: connections the primary hands over are fed into
 * Nest's HTTP server (first bytes included), the session guard answers requests for sessions
 * this worker does not hold (forwarded to their owner, replayed to their machine, or a
 * counted 400), and every session Engine.IO opens or closes is counted for recycling and
 * remembered once closed.
 */
@Injectable()
export class SessionRouting implements OnApplicationBootstrap {
  constructor(
    @Inject(HttpAdapterHost) private readonly host: HttpAdapterHost,
    @Inject(VehiclesGateway) private readonly gateway: VehiclesGateway,
    @Inject(PrimaryLink) private readonly link: PrimaryLink,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(WORKER_ID) private readonly workerId: number,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SECURITY_HEADERS) private readonly security: SecurityHeaders,
    @Inject(RefusalLog) private readonly refusals: RefusalLog,
    @Inject(WorkerMetrics) private readonly metrics: WorkerMetrics,
    @Inject(WorkerState) private readonly state: WorkerState,
    @Inject(WorkerDirectory) private readonly directory: WorkerDirectory,
    @Inject(ClosedSessions) private readonly closed: ClosedSessions,
    @Inject(HandedIn) private readonly handedIn: HandedIn,
    @Inject(ConnectionReports) private readonly conns: ConnectionReports,
    @Inject(RecycleTriggers) private readonly recycling: RecycleTriggers,
  ) {}

  onApplicationBootstrap(): void {
    const http = this.host.httpAdapter.getHttpServer() as HttpServer;
    const engine = this.gateway.server.engine;
    // Engine.IO emits `connection` only for a handshake it accepted: polls, POSTs, /healthz,
    // requests forwarded for a sibling's sessions and refused handshakes never reach it.
    engine.on('connection', (session: EngineSession) => {
      this.recycling.sessionOpened();
      session.once('close', () => this.closed.add(session.id, this.state.drain?.cause ?? 'session_closed'));
    });
    answerRawRefusals(http);
    const c = this.config;
    installSessionGuard(http, {
      me: this.workerId,
      instance: c.SESSION_INSTANCE,
      sticky: c.STICKY,
      enginePath: ENGINE_PATH,
      directory: this.directory,
      closed: this.closed,
      metrics: this.metrics,
      logger: this.logger,
      refusals: this.refusals,
      gate: workerGate(c, ENGINE_PATH, { security: this.security, metrics: this.metrics, refusals: this.refusals }),
      isDraining: () => this.state.draining,
      hasSession: (sid) => Object.hasOwn((engine as unknown as { clients: object }).clients, sid),
      fromPublicPort: (socket) => this.handedIn.has(socket),
      maxBodyBytes: c.MAX_HTTP_BUFFER_SIZE + 1024,
      forwardTimeoutMs: c.PING_INTERVAL_MS + c.PING_TIMEOUT_MS + 5_000,
    });
    this.link.on('conn', (m, socket) => {
      this.conns.taken(m.cid);
      this.handedIn.add(socket, () => this.conns.ended(m.cid));
      // No setNoDelay here: the router's server set TCP_NODELAY on the descriptor at accept (a
      // kernel option it keeps across processes; an emitted `connection` does not set it).
      injectConnection(http, socket, m.head);
    });
  }
}

/** Feeds a connection the primary accepted into Node's HTTP server, first bytes included. */
function injectConnection(http: HttpServer, socket: Socket, head: Uint8Array): void {
  http.emit('connection', socket);
  socket.emit('data', Buffer.from(head));
  socket.resume();
}

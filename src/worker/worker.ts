import cluster from 'node:cluster';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { register } from 'prom-client';
import type { Server } from 'socket.io';
import { AppModule } from '../app.module.js';
import type { Config } from '../config/config.js';
import type { CoordinationState } from '../coordination/coordinator.js';
import type { DrainCause } from '../ipc/messages.js';
import { ENGINE_PATH, TransitIoAdapter } from '../gateway/transit-io.adapter.js';
import { VehiclesGateway } from '../gateway/vehicles.gateway.js';
import { createLogger } from '../logging/logger.js';
import { PinoNestLogger } from '../logging/nest-logger.js';
import { WorkerMetrics } from '../metrics/worker-metrics.js';
import { ClosedSessions } from './closed-sessions.js';
import { ConnectionReports } from './connection-reports.js';
import { drainSessions } from './drain.js';
import { PrimaryLink } from './primary-link.js';
import { recycleLimit } from '../primary/recycle-limit.js';
import { RecycleTriggers } from './recycle-triggers.js';
import { beatIntervalMs } from '../ipc/heartbeat.js';
import { installSessionGuard } from './session-guard.js';
import { SnapshotCache } from './snapshot-cache.js';
import { ViewerReporter } from './viewer-reporter.js';
import { WorkerDirectory } from './worker-directory.js';
import { configureHttp } from '../http/configure-http.js';
import { answerRawRefusals } from '../http/raw-refusals.js';
import { securityHeaders } from '../http/security-headers.js';
import { RefusalLog } from '../logging/refusal-log.js';
import { workerGate } from './address-gate.js';
import { stopTracing } from '../telemetry/tracing.js';

/** A worker's buffered spans get this long to leave before it exits (inside the drain's 500 ms margin). */
const SPAN_FLUSH_MS = 400;

/**
 * One worker process: a NestJS app (gateway + HTTP) that is handed connections by the
 * primary, serves the primary's snapshots, and reports its viewers and heartbeat.
 */
export async function runWorker(config: Config): Promise<void> {
  const workerId = cluster.worker!.id;
  const logger = createLogger(config, { role: 'worker', worker: workerId });
  const link = new PrimaryLink();
  const cache = new SnapshotCache();
  const directory = new WorkerDirectory();
  const closed = new ClosedSessions();
  const viewers = new ViewerReporter(link);
  let draining = false;
  let coordination: CoordinationState | null = null;
  let drainCause: DrainCause | undefined;
  let io: Server | undefined;
  const metrics = new WorkerMetrics(workerId, () => countByTransport(io));

  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forWorker({
      ctx: { config, workerId, logger, isDraining: () => draining, workerCount: () => directory.size(), coordination: () => coordination },
      cache,
      metrics,
      viewers,
    }),
    // No route reads a body: Express's parsers would wait for (and discard) all of a declared
    // Content-Length, up to 2^40 bytes, before their 413 (a hang the fuzz suite found).
    { logger: new PinoNestLogger(logger.child({ context: 'nest' })), bodyParser: false },
  );
  const security = securityHeaders(config);
  const refusals = new RefusalLog(logger);
  configureHttp(app, config, security);
  app.useWebSocketAdapter(new TransitIoAdapter(app, config, workerId, { security, refusals, metrics }));
  await app.init();
  io = app.get(VehiclesGateway).server;
  const recycling = recycleTriggers(config, link);
  // Engine.IO emits `connection` only for a handshake it accepted: polls, POSTs, /healthz,
  // requests forwarded for a sibling's sessions and refused handshakes never reach it.
  io.engine.on('connection', (session: { id: string; once(e: 'close', f: () => void): void }) => {
    recycling.sessionOpened();
    session.once('close', () => closed.add(session.id, drainCause ?? 'session_closed'));
  });
  viewers.countSocketsWith(() => io!.of('/').sockets.size);
  const http = app.getHttpServer() as HttpServer;
  answerRawRefusals(http);
  const handedIn = new Set<Socket>();
  const conns = new ConnectionReports((m) => link.send(m));
  installSessionGuard(http, {
    me: workerId,
    instance: config.SESSION_INSTANCE,
    sticky: config.STICKY,
    enginePath: ENGINE_PATH,
    directory,
    closed,
    metrics,
    logger,
    refusals,
    gate: workerGate(config, ENGINE_PATH, { security, metrics, refusals }),
    isDraining: () => draining,
    hasSession: (sid) => Object.hasOwn((io!.engine as unknown as { clients: object }).clients, sid),
    fromPublicPort: (socket) => handedIn.has(socket),
    maxBodyBytes: config.MAX_HTTP_BUFFER_SIZE + 1024,
    forwardTimeoutMs: config.PING_INTERVAL_MS + config.PING_TIMEOUT_MS + 5_000,
  });

  link.on('data', (m) => cache.apply(m.snapshot, m.delta));
  link.on('feed-status', (m) => cache.setStatus(m.status));
  link.on('coordination', (m) => void (coordination = m.state));
  link.on('directory', (m) => directory.update(m));
  link.on('conn', (m, socket) => {
    conns.taken(m.cid);
    handedIn.add(socket);
    socket.once('close', () => {
      handedIn.delete(socket);
      conns.ended(m.cid);
    });
    // No setNoDelay here: the router's server set TCP_NODELAY on the descriptor (a kernel
    // option it keeps across processes), and Node's HTTP server sets it again on `connection`.
    injectConnection(http, socket, m.head);
  });
  link.on('metrics-req', async (m) => link.send({ t: 'metrics-res', id: m.id, metrics: await register.getMetricsAsJSON() }));
  link.on('drain', async (m) => {
    if (draining) return;
    draining = true;
    drainCause = m.cause;
    await drainSessions({ io: io!, http, cause: m.cause, windowMs: m.windowMs, handedIn: () => handedIn.size, metrics, logger, deadlineMs: m.windowMs + config.GRACEFUL_TIMEOUT_MS - 500 });
    // Final counters, so the instance totals keep what this worker counted since the last scrape.
    link.send({ t: 'metrics-res', id: 0, metrics: await register.getMetricsAsJSON() });
    logger.info({ cause: m.cause }, 'worker drained; exiting');
    viewers.stop();
    await stopTracing(SPAN_FLUSH_MS);
    process.exit(0);
  });
  // Without a primary nobody routes to this worker any more.
  process.on('disconnect', () => void stopTracing(SPAN_FLUSH_MS).finally(() => process.exit(0)));
  // Ctrl-C and a hang-up reach the whole process group; the primary decides when a worker
  // stops (drain) and what SIGHUP means (a rolling recycle, one worker at a time).
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => undefined);
  process.on('SIGHUP', () => undefined);
  // `kill -USR2 <worker pid>`: recycle this worker when its turn comes (one at a time, after its minimum lifetime).
  process.on('SIGUSR2', () => recycling.signalled());

  const internalPort = await listenLoopback(http);
  startHeartbeat(viewers, recycling, config);
  link.send({ t: 'ready', internalPort });
}

/** Feeds a connection the primary accepted into Node's HTTP server, first bytes included. */
function injectConnection(http: HttpServer, socket: Socket, head: Uint8Array): void {
  http.emit('connection', socket);
  socket.emit('data', Buffer.from(head));
  socket.resume();
}

/**
 * The worker's own loopback port, for requests other workers forward to it. `exclusive`
 * keeps cluster from sharing one handle (and balancing it) across workers.
 */
function listenLoopback(http: HttpServer): Promise<number> {
  return new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => resolve((http.address() as AddressInfo).port));
  });
}

/** Viewer reports double as the heartbeat: a blocked event loop stops both. Each beat also reads this worker's RSS. */
function startHeartbeat(viewers: ViewerReporter, recycling: RecycleTriggers, config: Config): void {
  setInterval(() => {
    viewers.report();
    recycling.memorySample(process.memoryUsage.rss());
  }, beatIntervalMs(config.WORKER_TIMEOUT_MS));
}

/** gunicorn's max_requests, counted in new sessions, and a memory cap: past either the worker asks the primary to recycle it. */
function recycleTriggers(config: Config, link: PrimaryLink): RecycleTriggers {
  const sessionLimit = recycleLimit(config.MAX_SESSIONS_PER_WORKER, config.MAX_SESSIONS_JITTER);
  return new RecycleTriggers({ sessionLimit, rssLimitBytes: config.MAX_WORKER_RSS_MB * 2 ** 20 }, (a) => link.send({ t: 'recycle-me', ...a }));
}

function countByTransport(io: Server | undefined): { polling: number; websocket: number } {
  const counts = { polling: 0, websocket: 0 };
  if (!io) return counts;
  for (const socket of io.of('/').sockets.values()) {
    const name = socket.conn.transport.name === 'websocket' ? 'websocket' : 'polling';
    counts[name] += 1;
  }
  return counts;
}

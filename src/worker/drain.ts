import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import type { Server } from 'socket.io';
import type { DrainCause } from '../ipc/messages.js';
import type { WorkerMetrics } from '../metrics/worker-metrics.js';
import type { ClosedSessions } from './closed-sessions.js';

/** Time a drained worker keeps answering late requests for the sessions it closed. */
export const DRAIN_LINGER_MS = 1_000;

/**
 * Ends this worker's sessions cleanly: each Engine.IO session gets the close packet (on its
 * pending poll, or over its websocket), which clients treat as "transport close" and answer
 * with an immediate reconnect — routed by the primary to a worker that is not draining.
 * Late requests for those sessions get the close answer (see `ClosedSessions`), not a 400.
 * Resolves once every session is closed and every connection has ended, or at `deadlineMs`.
 */
export async function drainSessions(opts: {
  io: Server;
  http: HttpServer;
  cause: DrainCause;
  closed: ClosedSessions;
  metrics: WorkerMetrics;
  logger: Logger;
  deadlineMs: number;
}): Promise<void> {
  const { io, http, cause, closed, metrics, logger } = opts;
  const deadline = Date.now() + opts.deadlineMs;
  // engine.io keeps its sessions in a protected map; draining is exactly what it is for.
  const sessions = (io.engine as unknown as { clients: Record<string, { id: string; close(): void }> }).clients;
  const clients = Object.values(sessions);
  for (const client of clients) closed.add(client.id, cause);
  metrics.sessionsLost.inc({ cause }, clients.length);
  logger.info({ sessions: clients.length, cause, event: 'worker_drain' }, `draining: closing ${clients.length} sessions so their clients reconnect to another worker`);
  for (const client of clients) {
    logger.info({ sid: client.id, cause, event: 'session_lost' }, 'session closed by drain; its client reconnects to another worker');
    client.close();
  }
  await waitUntil(() => io.engine.clientsCount === 0, deadline);
  await sleep(Math.min(DRAIN_LINGER_MS, Math.max(0, deadline - Date.now())));
  // close() stops the loopback listener and ends idle keep-alive connections; busy ones
  // finish their request (answered with Connection: close) and then end.
  const allClosed = new Promise<void>((resolve) => http.close(() => resolve()));
  http.closeIdleConnections();
  await Promise.race([allClosed, sleep(Math.max(0, deadline - Date.now()))]);
  http.closeAllConnections();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitUntil(done: () => boolean, deadline: number): Promise<void> {
  while (!done() && Date.now() < deadline) await sleep(25);
}

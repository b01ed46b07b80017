import type { Logger } from 'pino';
import type { DrainCause } from '../ipc/messages.js';
import type { WorkerMetrics } from '../metrics/worker-metrics.js';
import { closeInBatches } from './drain-batches.js';

/** How long a session's close waits for its in-flight POST (engine.io would abort it). */
export const POST_WAIT_MS = 1_000;
/** How long live clients get to collect their close packet before the rest are discarded. */
export const CLOSE_WAIT_MS = 3_000;

/** The part of an Engine.IO session the drain uses (engine.io keeps these fields private). */
interface EngineSession {
  id: string;
  close(discard?: boolean): void;
  transport?: { dataReq?: unknown };
}

/**
 * Closes a session once no client POST is in flight: engine.io's polling close destroys a
 * pending POST, which the client sees as a transport error instead of a clean close.
 */
function closeWhenIdle(session: EngineSession, giveUpAt: number): void {
  if (session.transport?.dataReq && Date.now() < giveUpAt) {
    setTimeout(() => closeWhenIdle(session, giveUpAt), 10);
    return;
  }
  session.close();
}

/** What the drain uses of the Socket.IO server: its engine's sessions (read from the private `clients` map) and their count. */
export interface DrainableIo {
  engine: { clientsCount: number };
}

/** What the drain uses of the worker's HTTP server (`node:http` Server). */
export interface DrainableHttp {
  close(done: () => void): unknown;
  closeIdleConnections(): void;
  closeAllConnections(): void;
}

/** Time a drained worker keeps answering late requests for the sessions it closed. */
export const DRAIN_LINGER_MS = 1_000;

/**
 * Ends this worker's sessions cleanly: each Engine.IO session gets the close packet (on its
 * pending poll, or over its websocket), which clients treat as "transport close" and answer
 * with an immediate reconnect — routed by the primary to a worker that is not draining. A
 * recycle closes them in even batches over `windowMs` (DRAIN_WINDOW_MS), so the survivors get a
 * steady trickle of reconnects rather than all of them at once; sessions not yet closed keep
 * being served meanwhile.
 * Once a session has closed, late requests for it get Engine.IO's `400 Session ID unknown`,
 * counted as `ended` (the worker records every closed session in `ClosedSessions`). Recording
 * it only on close matters: a session marked earlier would have its next poll answered by
 * the guard, never reaching Engine.IO, which would then wait out its close timeout.
 * Resolves once every session is closed and every connection has ended, or at `deadlineMs`.
 */
export async function drainSessions(opts: {
  io: DrainableIo;
  http: DrainableHttp;
  cause: DrainCause;
  /** Spread the closes over this long (0: all at once). */
  windowMs: number;
  /** Connections the primary handed to this worker that are still open. */
  handedIn: () => number;
  metrics: Pick<WorkerMetrics, 'sessionsLost'>;
  logger: Logger;
  deadlineMs: number;
}): Promise<void> {
  const { io, http, cause, metrics, logger } = opts;
  const deadline = Date.now() + opts.deadlineMs;
  // engine.io keeps its sessions in a protected map; draining is exactly what it is for.
  const sessions = (io.engine as unknown as { clients: Record<string, EngineSession> }).clients;
  const count = Object.keys(sessions).length;
  logger.info({ sessions: count, cause, windowMs: opts.windowMs, event: 'worker_drain' }, `draining: closing ${count} sessions over ${opts.windowMs} ms so their clients reconnect to another worker`);
  const closed = await closeInBatches(
    () => Object.values(sessions),
    (client) => {
      metrics.sessionsLost.inc({ cause });
      logger.info({ sid: client.id, cause, event: 'session_lost' }, 'session closed by drain; its client reconnects to another worker');
      closeWhenIdle(client, Date.now() + POST_WAIT_MS);
    },
    Math.min(opts.windowMs, Math.max(0, deadline - Date.now())),
  );
  if (closed !== count) logger.info({ sessions: closed, event: 'worker_drain_closed' }, `drain closed ${closed} sessions (${count} when it began; the rest ended on their own)`);
  // A live client fetches its close packet with its next poll within moments; one that
  // does not (gone, or its poll failed) is discarded rather than waited for.
  await waitUntil(() => io.engine.clientsCount === 0, Math.min(deadline, Date.now() + CLOSE_WAIT_MS));
  const stragglers = Object.values(sessions);
  if (stragglers.length > 0) logger.info({ sessions: stragglers.length, event: 'drain_discard' }, 'sessions did not collect their close packet in time; discarding them');
  for (const client of stragglers) client.close(true);
  await waitUntil(() => io.engine.clientsCount === 0, deadline);
  await sleep(Math.min(DRAIN_LINGER_MS, Math.max(0, deadline - Date.now())));
  // close() stops the loopback listener and ends idle keep-alive connections; busy ones
  // finish their request (answered with Connection: close) and then end. Its callback does
  // not know the connections the primary handed in, so those are counted separately: a
  // long-poll relayed from here to another worker's live session must finish, not be cut.
  const listenerClosed = new Promise<void>((resolve) => http.close(() => resolve()));
  http.closeIdleConnections();
  await waitUntil(() => opts.handedIn() === 0, deadline);
  const ended = await Promise.race([listenerClosed.then(() => true), sleep(Math.max(0, deadline - Date.now())).then(() => false)]);
  if (!ended || opts.handedIn() > 0) {
    logger.warn({ event: 'drain_deadline', open: opts.handedIn() }, 'connections still open at the drain deadline; closing them (raise GRACEFUL_TIMEOUT_MS above PING_INTERVAL_MS)');
  }
  http.closeAllConnections();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitUntil(done: () => boolean, deadline: number): Promise<void> {
  while (!done() && Date.now() < deadline) await sleep(25);
}

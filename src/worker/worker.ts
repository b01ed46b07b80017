import cluster from 'node:cluster';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { register } from 'prom-client';
import type { Config } from '../config/config.js';
import { TransitIoAdapter } from '../gateway/transit-io.adapter.js';
import { configureHttp } from '../http/configure-http.js';
import type { SecurityHeaders } from '../http/security-headers.js';
import { PrimaryLink } from '../ipc/primary-link.js';
import { WorkerState } from '../live/worker-state.js';
import { createLogger } from '../logging/logger.js';
import { PinoNestLogger } from '../logging/nest-logger.js';
import { RefusalLog } from '../logging/refusal-log.js';
import { WorkerMetrics } from '../metrics/worker-metrics.js';
import { stopTracing } from '../telemetry/tracing-control.js';
import { SECURITY_HEADERS } from './app/tokens.js';
import { WorkerModule } from './app/worker.module.js';
import { RecycleTriggers } from './recycle-triggers.js';

/** A worker's buffered spans get this long to leave before it exits (inside the drain's 500 ms margin). */
const SPAN_FLUSH_MS = 400;

/**
 * One worker process: the Nest application of `WorkerModule` (gateway, HTTP API, session
 * routing, heartbeat, drain), handed connections by the primary. This file is the process
 * side only: start the app, listen on a loopback port for siblings, turn the primary's drain
 * order into `app.close()` (whose shutdown hooks drain the sessions) and exit.
 */
export async function runWorker(config: Config): Promise<void> {
  const workerId = cluster.worker!.id;
  const logger = createLogger(config, { role: 'worker', worker: workerId });
  const app = await NestFactory.create<NestExpressApplication>(
    WorkerModule.forRoot({ config, workerId, logger }),
    // No route reads a body: Express's parsers would wait for (and discard) all of a declared
    // Content-Length, up to 2^40 bytes, before their 413 (a hang the fuzz suite found).
    { logger: new PinoNestLogger(logger.child({ context: 'nest' })), bodyParser: false },
  );
  const security = app.get<SecurityHeaders>(SECURITY_HEADERS);
  const metrics = app.get(WorkerMetrics);
  configureHttp(app, config, security);
  app.useWebSocketAdapter(new TransitIoAdapter(app, config, workerId, { security, refusals: app.get(RefusalLog), metrics }));
  await app.init();

  const link = app.get(PrimaryLink);
  const state = app.get(WorkerState);
  link.on('drain', async (m) => {
    if (!state.beginDrain(m)) return;
    await app.close();
    // Final counters, so the instance totals keep what this worker counted since the last scrape.
    link.send({ t: 'metrics-res', id: 0, metrics: await register.getMetricsAsJSON() });
    logger.info({ cause: m.cause }, 'worker drained; exiting');
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
  const recycling = app.get(RecycleTriggers);
  process.on('SIGUSR2', () => recycling.signalled());

  const internalPort = await listenLoopback(app.getHttpServer() as HttpServer);
  link.send({ t: 'ready', internalPort });
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

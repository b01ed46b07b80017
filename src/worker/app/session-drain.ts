import type { Server as HttpServer } from 'node:http';
import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Logger } from 'pino';
import { CONFIG, LOGGER } from '../../config/config.module.js';
import type { Config } from '../../config/config.js';
import { VehiclesGateway } from '../../gateway/vehicles.gateway.js';
import { WorkerState } from '../../live/worker-state.js';
import { WorkerMetrics } from '../../metrics/worker-metrics.js';
import { drainSessions } from '../drain.js';
import { HandedIn } from './handed-in.js';

/** Time the drain leaves the primary's GRACEFUL_TIMEOUT_MS for the worker's exit (final metrics, spans). */
export const EXIT_MARGIN_MS = 500;

/**
 * The drain as a shutdown hook: when the app closes on the primary's drain order, every
 * session is closed cleanly (spread over the order's window) before Nest closes the
 * Socket.IO and HTTP servers, so clients reconnect to a sibling instead of losing a poll.
 * An app closed without an order (a test, an embedding) has no sessions to hand on.
 */
@Injectable()
export class SessionDrain implements BeforeApplicationShutdown {
  constructor(
    @Inject(HttpAdapterHost) private readonly host: HttpAdapterHost,
    @Inject(VehiclesGateway) private readonly gateway: VehiclesGateway,
    @Inject(WorkerState) private readonly state: WorkerState,
    @Inject(HandedIn) private readonly handedIn: HandedIn,
    @Inject(WorkerMetrics) private readonly metrics: WorkerMetrics,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async beforeApplicationShutdown(): Promise<void> {
    const order = this.state.drain;
    if (!order) return;
    await drainSessions({
      io: this.gateway.server,
      http: this.host.httpAdapter.getHttpServer() as HttpServer,
      cause: order.cause,
      windowMs: order.windowMs,
      handedIn: () => this.handedIn.size,
      metrics: this.metrics,
      logger: this.logger,
      deadlineMs: order.windowMs + this.config.GRACEFUL_TIMEOUT_MS - EXIT_MARGIN_MS,
    });
  }
}

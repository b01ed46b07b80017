import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Broadcaster } from './gateway/broadcaster.js';
import { VehiclesGateway } from './gateway/vehicles.gateway.js';
import { HealthController } from './http/health.controller.js';
import { VehiclesController } from './http/vehicles.controller.js';
import { WorkerMetrics } from './metrics/worker-metrics.js';
import { SnapshotCache } from './worker/snapshot-cache.js';
import { ViewerReporter } from './worker/viewer-reporter.js';
import { WORKER_CONTEXT, type WorkerContext } from './worker/worker-context.js';

/** Process-level objects a worker creates before Nest (they outlive the module graph). */
export interface WorkerDeps {
  ctx: WorkerContext;
  cache: SnapshotCache;
  metrics: WorkerMetrics;
  viewers: ViewerReporter;
}

/** A worker's Nest application: the Socket.IO gateway and the HTTP API. */
@Module({})
export class AppModule {
  static forWorker(deps: WorkerDeps): DynamicModule {
    return {
      module: AppModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [VehiclesController, HealthController],
      providers: [
        { provide: WORKER_CONTEXT, useValue: deps.ctx },
        { provide: SnapshotCache, useValue: deps.cache },
        { provide: WorkerMetrics, useValue: deps.metrics },
        { provide: ViewerReporter, useValue: deps.viewers },
        { provide: Broadcaster, useValue: new Broadcaster(deps.metrics) },
        VehiclesGateway,
      ],
    };
  }
}

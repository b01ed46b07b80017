import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller.js';
import { AgencyQueryPipe, RoutesQueryPipe } from './query.pipes.js';
import { VehiclesController } from './vehicles.controller.js';

/**
 * The HTTP API of a worker: `/api/vehicles` (the fallback for clients without a socket),
 * `/api/config`, `/healthz` and `/readyz`. It reads the live state (LiveModule) and the config
 * (ConfigModule), both global; Express-level settings are in configure-http.ts.
 */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [VehiclesController, HealthController],
  providers: [RoutesQueryPipe, AgencyQueryPipe],
})
export class HttpApiModule {}

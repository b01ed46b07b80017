import { Module } from '@nestjs/common';
import { AckErrorFilter } from './ack-error.filter.js';
import { Broadcaster } from './broadcaster.js';
import { SubscribePipe } from './subscribe.pipe.js';
import { VehiclesGateway } from './vehicles.gateway.js';

/**
 * The Socket.IO feature of a worker: the gateway, its fan-out and its `subscribe` validation.
 * It reads the live state (LiveModule) and the config (ConfigModule), both global. The
 * server's options come from `TransitIoAdapter`, which the worker installs on the app.
 */
@Module({
  providers: [VehiclesGateway, Broadcaster, SubscribePipe, AckErrorFilter],
  exports: [VehiclesGateway],
})
export class GatewayModule {}

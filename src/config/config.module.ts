import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Config } from './config.js';

/** Injection token of the validated {@link Config} (read once from the environment, in config.ts). */
export const CONFIG = Symbol('CONFIG');
/** Injection token of this worker's cluster id (it names the worker in session ids and metrics). */
export const WORKER_ID = Symbol('WORKER_ID');
/** Injection token of the worker's pino logger. */
export const LOGGER = Symbol('LOGGER');

/** Who a worker is: its configuration, its id and its logger. */
export interface WorkerIdentity {
  config: Config;
  workerId: number;
  logger: Logger;
}

/**
 * The config provider of a worker's Nest application. The environment is parsed once, before
 * Nest starts (a bad value stops the process with a message naming it); modules inject the
 * result with `@Inject(CONFIG)`.
 */
@Global()
@Module({})
export class ConfigModule {
  static forWorker(identity: WorkerIdentity): DynamicModule {
    return {
      module: ConfigModule,
      global: true,
      providers: [
        { provide: CONFIG, useValue: identity.config },
        { provide: WORKER_ID, useValue: identity.workerId },
        { provide: LOGGER, useValue: identity.logger },
      ],
      exports: [CONFIG, WORKER_ID, LOGGER],
    };
  }
}

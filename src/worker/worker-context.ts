import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { CoordinationState } from '../coordination/coordinator.js';

/** Injection token of {@link WorkerContext}. */
export const WORKER_CONTEXT = Symbol('WORKER_CONTEXT');

/** What a worker's Nest modules need to know of their process. */
export interface WorkerContext {
  config: Config;
  workerId: number;
  logger: Logger;
  /** True once the primary asked this worker to drain. */
  isDraining(): boolean;
  /** Workers in the instance, from the primary's directory. */
  workerCount(): number;
  /** The instance's coordination standing, as the primary last said (null before it did). */
  coordination?(): CoordinationState | null;
}

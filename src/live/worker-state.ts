import type { CoordinationState } from '../coordination/coordinator.js';
import type { DrainCause } from '../ipc/messages.js';

/** The drain the primary asked for: why, and over how long the sessions are closed. */
export interface DrainOrder {
  cause: DrainCause;
  windowMs: number;
}

/**
 * What this worker knows of its standing, as the primary last said: whether it drains (and
 * why), how many workers the instance has, and the instance's coordination state. `/readyz`
 * reports it; the session guard and the drain act on it.
 */
export class WorkerState {
  private order: DrainOrder | undefined;
  /** Workers in the instance, from the primary's directory. */
  workers = 0;
  /** The instance's coordination standing (null before the primary said). */
  coordination: CoordinationState | null = null;

  get draining(): boolean {
    return this.order !== undefined;
  }

  get drain(): DrainOrder | undefined {
    return this.order;
  }

  /** Records the primary's drain order; false when one was already given (a drain runs once). */
  beginDrain(order: DrainOrder): boolean {
    if (this.order) return false;
    this.order = order;
    return true;
  }
}

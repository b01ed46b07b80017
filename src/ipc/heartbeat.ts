/**
 * The heartbeat both roles agree on: a worker's viewer report doubles as its beat, sent every
 * {@link beatIntervalMs}; the supervisor takes it out of rotation after
 * {@link MISSED_BEATS_OUT_OF_ROTATION} missed beats and kills it at WORKER_TIMEOUT_MS.
 */
export function beatIntervalMs(timeoutMs: number): number {
  return Math.max(100, Math.min(1000, Math.floor(timeoutMs / 4)));
}

/** Beats a worker may miss before it gets no new connections (it is killed only at the timeout). */
export const MISSED_BEATS_OUT_OF_ROTATION = 2;

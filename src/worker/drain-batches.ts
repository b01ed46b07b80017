/** A recycle's drain closes one batch of sessions every this many milliseconds. */
export const DRAIN_STEP_MS = 100;

/**
 * Sessions one step closes so that `sessions` are spread evenly over `windowMs` (DRAIN_WINDOW_MS):
 * with 280 sessions and 10 s, 3 every 100 ms, so the survivors see ~28 reconnects a second
 * instead of 280 at once. A window shorter than one step closes everything at once.
 */
export function batchSize(sessions: number, windowMs: number, stepMs = DRAIN_STEP_MS): number {
  const steps = Math.max(1, Math.floor(windowMs / stepMs));
  return Math.max(1, Math.ceil(sessions / steps));
}

/**
 * Calls `close` on what `open()` lists, a batch per step, until every item has been closed once.
 * Items that ended on their own meanwhile are no longer listed and cost nothing; new ones
 * (there should be none: a draining worker starts no session) are closed in a later batch.
 * Resolves with how many it closed, after the last batch.
 */
export async function closeInBatches<T>(open: () => T[], close: (item: T) => void, windowMs: number, stepMs = DRAIN_STEP_MS): Promise<number> {
  const done = new Set<T>();
  const size = batchSize(open().length, windowMs, stepMs);
  for (;;) {
    const batch = open()
      .filter((s) => !done.has(s))
      .slice(0, size);
    if (batch.length === 0) return done.size;
    for (const s of batch) {
      done.add(s);
      close(s);
    }
    if (open().every((s) => done.has(s))) return done.size;
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}

/**
 * How tests wait for something that has not happened yet. `expect.poll` is for a wait that is
 * the assertion; these are for steps before one (a worker ready, a client caught up, a scrape in).
 */

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** For {@link waitUntil}: the probe returned a value. */
export const defined = <T>(value: T | undefined): value is T => value !== undefined;

/**
 * Calls `probe` every `everyMs` until `ok` accepts its value, and returns that value. A probe
 * that throws is tried again. After `timeoutMs` it throws, naming `what` and the last value or error.
 */
export async function waitUntil<T, U extends T>(probe: () => T | Promise<T>, ok: (value: T) => value is U, timeoutMs: number, what: string, everyMs?: number): Promise<U>;
export async function waitUntil<T>(probe: () => T | Promise<T>, ok: (value: T) => boolean, timeoutMs: number, what: string, everyMs?: number): Promise<T>;
export async function waitUntil<T>(probe: () => T | Promise<T>, ok: (value: T) => boolean, timeoutMs: number, what: string, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      if (ok(last)) return last;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const seen = lastError ? ` (last error: ${String(lastError)})` : ` (last value: ${JSON.stringify(last)?.slice(0, 300)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}${seen}`);
    }
    await sleep(everyMs);
  }
}

/** Resolves when `cond` holds, checked every 20 ms (it reads in-process state); throws with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  await waitUntil(cond, (held) => held, timeoutMs, what, 20);
}

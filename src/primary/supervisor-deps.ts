import type { PrimaryMessage } from '../ipc/messages.js';

/**
 * What the supervisor uses of a forked worker: a `cluster.Worker` in production, an
 * EventEmitter standing in for one in specs.
 */
export interface WorkerProcess {
  readonly id: number;
  readonly process: { kill(signal?: NodeJS.Signals): boolean };
  isConnected(): boolean;
  send(msg: PrimaryMessage, handle: undefined, callback: (error: Error | null) => void): boolean;
  on(event: 'message', listener: (msg: unknown) => void): this;
  on(event: 'exit', listener: (code: number | null, signal: string | null) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  once(event: 'exit', listener: () => void): this;
}

/** Starts one worker with extra environment `env` (production: `cluster.fork`). */
export type ForkWorker<W extends WorkerProcess> = (env: Record<string, string> | undefined) => W;

/**
 * The supervisor's time: a monotonic `now` and timers that never keep the process alive on
 * their own (every supervisor timer is a watchdog or a delayed restart, not work to finish).
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

type Handle = ReturnType<typeof globalThis.setTimeout>;

/** Milliseconds on a monotonic clock: wall-clock jumps (NTP, suspend) cannot fake a silence. */
export const monotonicNow = (): number => performance.now();

/** The process's own clock; timers are looked up at call time and `unref()`-ed. */
export const systemClock: Clock = {
  now: monotonicNow,
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Handle | undefined),
  setInterval: (fn, ms) => globalThis.setInterval(fn, ms).unref(),
  clearInterval: (handle) => globalThis.clearInterval(handle as Handle | undefined),
};

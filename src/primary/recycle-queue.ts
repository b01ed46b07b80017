import type { RecycleTrigger } from '../ipc/messages.js';
import { systemClock, type Clock } from './supervisor-deps.js';

/** Why a worker is recycled: one of its own limits or SIGUSR2 (it asked), or SIGHUP to the primary (`reload`: every worker). */
export type RecycleReason = RecycleTrigger | 'reload';

export interface RecycleQueueOptions {
  /** MIN_WORKER_LIFETIME_MS: no worker is recycled sooner after it became ready. */
  minLifetimeMs: number;
  now: () => number;
  /** Its one timer (the wait for the next worker old enough). @default systemClock's */
  timers?: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /**
   * Begins recycling `id` (replacement first, then the old worker's drain) and returns the
   * replacement's id, or null if it cannot (the worker is no longer a ready one): the queue
   * then moves on to the next.
   */
  begin: (id: number, trigger: RecycleReason) => number | null;
}

interface Waiting {
  id: number;
  trigger: RecycleReason;
  /** An operator's reload (SIGHUP): not held back by `minLifetimeMs`, still one at a time. */
  eager: boolean;
}

interface InProgress {
  old: number;
  replacement: number;
  oldGone: boolean;
  /** The replacement became ready (or died trying: the supervisor retries it with the crash backoff, and drains the old worker only once a retry is ready). */
  replacementSettled: boolean;
}

/**
 * The order of recycles, without processes or I/O: one worker at a time — the next begins only
 * once the previous one's replacement is ready and the old worker has drained and exited — and none
 * before it has lived `minLifetimeMs`, so at most one worker is ever draining for recycling and
 * a limit set too low costs at most one recycle per worker per minimum lifetime. Requests wait
 * in arrival order; a worker that is not yet old enough lets an older one go first.
 */
export class RecycleQueue {
  private readonly readyAt = new Map<number, number>();
  private readonly waiting: Waiting[] = [];
  private current: InProgress | null = null;
  private timer: unknown;
  private stopped = false;
  private readonly timers: Pick<Clock, 'setTimeout' | 'clearTimeout'>;

  constructor(private readonly opts: RecycleQueueOptions) {
    this.timers = opts.timers ?? systemClock;
  }

  /** Worker `id` became ready (its lifetime starts now). */
  ready(id: number): void {
    this.readyAt.set(id, this.opts.now());
    if (this.current?.replacement === id) this.settle({ replacementSettled: true });
  }

  /** Worker `id` asked to be recycled (or the operator asked, `eager`: no minimum lifetime). */
  request(id: number, trigger: RecycleReason, opts: { eager?: boolean } = {}): void {
    if (this.stopped || !this.readyAt.has(id) || this.current?.old === id) return;
    const waiting = this.waiting.find((w) => w.id === id);
    if (waiting) {
      if (opts.eager) Object.assign(waiting, { trigger, eager: true });
    } else this.waiting.push({ id, trigger, eager: opts.eager ?? false });
    this.pump();
  }

  /** Worker `id` exited (recycled, crashed or killed): it leaves the queue, and the next may begin. */
  exited(id: number): void {
    this.readyAt.delete(id);
    const i = this.waiting.findIndex((w) => w.id === id);
    if (i !== -1) this.waiting.splice(i, 1);
    if (this.current?.old === id) this.settle({ oldGone: true });
    else if (this.current?.replacement === id) this.settle({ replacementSettled: true });
    else this.pump();
  }

  /** The worker being recycled now, if any. */
  get inProgress(): number | null {
    return this.current?.old ?? null;
  }

  /** Workers waiting for their turn, in order. */
  get queued(): number[] {
    return this.waiting.map((w) => w.id);
  }

  /** Shutdown: nothing more begins. */
  stop(): void {
    this.stopped = true;
    this.timers.clearTimeout(this.timer);
  }

  private settle(change: Partial<InProgress>): void {
    Object.assign(this.current!, change);
    if (this.current!.oldGone && this.current!.replacementSettled) this.current = null;
    this.pump();
  }

  private pump(): void {
    this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    while (!this.stopped && this.current === null) {
      const now = this.opts.now();
      const i = this.waiting.findIndex((w) => this.eligibleAt(w) <= now);
      if (i === -1) break;
      const [next] = this.waiting.splice(i, 1);
      const replacement = this.opts.begin(next!.id, next!.trigger);
      if (replacement !== null) this.current = { old: next!.id, replacement, oldGone: false, replacementSettled: false };
    }
    if (this.stopped || this.current !== null || this.waiting.length === 0) return;
    const soonest = Math.min(...this.waiting.map((w) => this.eligibleAt(w)));
    this.timer = this.timers.setTimeout(() => this.pump(), Math.max(0, soonest - this.opts.now()));
  }

  private eligibleAt(w: Waiting): number {
    return w.eager ? 0 : (this.readyAt.get(w.id) ?? 0) + this.opts.minLifetimeMs;
  }
}

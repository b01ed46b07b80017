/** How the poller lease is timed; see {@link LeaseDeadline}. */
export interface LeaseTiming {
  /** Lifetime of the lease in Redis after each take or renewal (PX). */
  leaseMs: number;
  /** The holder stops this long before the lease could expire in Redis. */
  marginMs: number;
  /** A new holder waits this long after taking the lease before it polls. */
  takeoverDelayMs: number;
}

/**
 * The lease as this instance sees it, on its own monotonic clock (never the wall clock,
 * which NTP may step). Redis starts a lease's `PX` when it runs the command, which is after
 * this instance sent it, so `sentAt + leaseMs` is never later than the expiry in Redis:
 * stepping down `marginMs` before that means the holder has stopped before anyone else can
 * take the lease. A new holder then waits `takeoverDelayMs` (one poll interval less the
 * margin) before its first poll, so the previous holder's last poll and its first are at least
 * one interval apart even when the previous holder could not publish its last polls.
 */
export class LeaseDeadline {
  private deadline = Number.NEGATIVE_INFINITY;
  private since: number | null = null;

  constructor(
    private readonly timing: LeaseTiming,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * A take or renewal sent at `sentAt` succeeded (its answer arrived now). The takeover delay
   * counts from the answer, the later of the two, and the deadline from the sending, the earlier.
   */
  held(sentAt: number): void {
    const now = this.now();
    // A lease that lapsed locally starts over: someone else may have polled in between.
    if (this.since === null || !this.valid(now)) this.since = now;
    this.deadline = sentAt + this.timing.leaseMs - this.timing.marginMs;
  }

  /** Redis said the lease is not ours (taken over or expired). */
  lost(): void {
    this.deadline = Number.NEGATIVE_INFINITY;
    this.since = null;
  }

  /** Whether the lease is still ours by the local clock. */
  valid(now = this.now()): boolean {
    return now < this.deadline;
  }

  /** Whether this instance may poll: the lease is ours and the takeover delay has passed. */
  mayPoll(now = this.now()): boolean {
    return this.valid(now) && this.since !== null && now >= this.since + this.timing.takeoverDelayMs;
  }

  /** Milliseconds until {@link mayPoll} may change by itself (delay over, or deadline), or null. */
  nextChangeIn(now = this.now()): number | null {
    if (!this.valid(now) || this.since === null) return null;
    const delayEnds = this.since + this.timing.takeoverDelayMs;
    return Math.max(0, (now < delayEnds ? delayEnds : this.deadline) - now);
  }
}

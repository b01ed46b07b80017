/**
 * A token bucket: `capacity` events at once, refilled at `perSecond`. One per socket, kept in
 * its `data`, so there is no shared store and no timer; a library's keyed limiter
 * (rate-limiter-flexible) would add a Map and timers for state that already has a home.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    this.tokens = capacity;
    this.at = now();
  }

  /** Takes one token; false when the bucket is empty (the event must be refused). */
  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.at) / 1000) * this.perSecond);
    this.at = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

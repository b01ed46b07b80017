/**
 * Fencing on the receiving side: every lease taken gets a higher number (INCR in Redis),
 * carried in every message its holder publishes. A message with a lower number than the
 * highest seen comes from a deposed holder (paused, partitioned, or late) and is dropped.
 */
export class FenceFilter {
  private top = 0;

  /** The highest fencing number seen so far (0 = none). */
  get highest(): number {
    return this.top;
  }

  /** Whether a message with `fence` may be used; a higher one becomes the new floor. */
  admit(fence: number): boolean {
    if (fence < this.top) return false;
    this.top = fence;
    return true;
  }
}

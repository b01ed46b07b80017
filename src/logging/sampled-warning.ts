/**
 * Rate-limits a repeated warning: the first of a kind is said at once, later ones at most
 * once per `everyMs` with how many were not said in between. Bad input from outside must not
 * flood the logs, yet must not go unmentioned.
 */
export class SampledWarning {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly everyMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Returns how many of `kind` were suppressed since the last one said, or null to stay quiet. */
  sample(kind: string): number | null {
    const now = this.now();
    const seen = this.last.get(kind);
    if (seen && now - seen.at < this.everyMs) {
      seen.suppressed += 1;
      return null;
    }
    this.last.set(kind, { at: now, suppressed: 0 });
    return seen?.suppressed ?? 0;
  }
}

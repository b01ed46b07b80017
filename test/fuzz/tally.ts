/** What one input got: the specific reason it was refused, or why that answer is a failure. */
export type Verdict = { reason: string } | { failure: string };

export interface Failure {
  category: string;
  index: number;
  seed: number;
  input: string;
  why: string;
}

/**
 * Counts of refusal reasons per category, and the inputs whose answer was not a specific
 * refusal (a 5xx, no answer, an acceptance, a message that does not match the oracle).
 */
export class Tally {
  private readonly counts = new Map<string, Map<string, number>>();
  readonly failures: Failure[] = [];

  add(category: string, verdict: Verdict, input: () => string, index: number, seed: number): void {
    if ('failure' in verdict) {
      this.failures.push({ category, index, seed, input: input(), why: verdict.failure });
      this.count(category, `FAILED: ${verdict.failure.slice(0, 60)}`);
      return;
    }
    this.count(category, verdict.reason);
  }

  private count(category: string, reason: string): void {
    let m = this.counts.get(category);
    if (!m) this.counts.set(category, (m = new Map()));
    m.set(reason, (m.get(reason) ?? 0) + 1);
  }

  /** Inputs run in `category` (all of them when omitted). */
  total(category?: string): number {
    let n = 0;
    for (const [c, m] of this.counts) if (category === undefined || c === category) for (const v of m.values()) n += v;
    return n;
  }

  /** `{category: {reason: count}}`, for figures. */
  toJSON(): Record<string, Record<string, number>> {
    return Object.fromEntries([...this.counts].map(([c, m]) => [c, Object.fromEntries(m)]));
  }

  /** The table printed at the end of the run: one row per category and reason, most frequent first. */
  table(): string {
    const rows: [string, string, string][] = [['category', 'reason', 'inputs']];
    for (const [c, m] of this.counts) {
      for (const [reason, n] of [...m].sort((a, b) => b[1] - a[1])) rows.push([c, reason, String(n)]);
      rows.push([c, '(total)', String(this.total(c))]);
    }
    rows.push(['all', '(total)', String(this.total())]);
    const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
    return rows.map((r) => `${r[0].padEnd(w[0]!)}  ${r[1].padEnd(w[1]!)}  ${r[2].padStart(w[2]!)}`).join('\n');
  }
}

/**
 * Receipts of fanned-out versions, and the figures the capacity benchmark derives from them.
 * Pure: generators record, the benchmark merges; nothing here reads a clock.
 */
import { percentile } from '../../scripts/predeploy/analysis.ts';

/** Every receipt of one version by the clients of one generator. */
export interface VersionReceipts {
  version: number;
  /** The server's `generatedAt` of this version (ms since the epoch). */
  generatedAt: number;
  /** Earliest and latest receipt (ms since the epoch). */
  first: number;
  last: number;
  /** Clients that received it. */
  count: number;
  /** Receipt − generatedAt of each receipt, ms. */
  delays: number[];
}

/** Records receipts in a generator. */
export class ReceiptLog {
  private readonly byVersion = new Map<number, VersionReceipts>();

  record(version: number, generatedAt: number, at: number): void {
    let r = this.byVersion.get(version);
    if (!r) this.byVersion.set(version, (r = { version, generatedAt, first: at, last: at, count: 0, delays: [] }));
    r.first = Math.min(r.first, at);
    r.last = Math.max(r.last, at);
    r.count += 1;
    r.delays.push(at - generatedAt);
  }

  /** Versions generated in [from, to]. */
  between(from: number, to: number): VersionReceipts[] {
    return [...this.byVersion.values()].filter((r) => r.generatedAt >= from && r.generatedAt <= to);
  }
}

/** Fan-out figures of one benchmark step, over every generator's receipts. */
export interface FanoutFigures {
  versions: number;
  /** Last − first receipt of one version across all clients, ms. */
  spread: { p50: number | null; p95: number | null; p99: number | null };
  /** Receipt − generatedAt over every receipt, ms. */
  delay: { p50: number | null; p95: number | null; p99: number | null };
  /** Receipts short of `clients × versions` (a version some client never got). */
  missed: number;
}

/** Merges the generators' receipts of the versions generated in the window. */
export function fanoutFigures(perGenerator: readonly VersionReceipts[][], clients: number): FanoutFigures {
  const merged = new Map<number, { first: number; last: number; count: number }>();
  const delays: number[] = [];
  for (const list of perGenerator) {
    for (const r of list) {
      const m = merged.get(r.version);
      if (!m) merged.set(r.version, { first: r.first, last: r.last, count: r.count });
      else {
        m.first = Math.min(m.first, r.first);
        m.last = Math.max(m.last, r.last);
        m.count += r.count;
      }
      for (const d of r.delays) delays.push(d);
    }
  }
  const spreads = [...merged.values()].map((m) => m.last - m.first).sort((a, b) => a - b);
  delays.sort((a, b) => a - b);
  const missed = [...merged.values()].reduce((sum, m) => sum + Math.max(0, clients - m.count), 0);
  return {
    versions: merged.size,
    spread: { p50: percentile(spreads, 50), p95: percentile(spreads, 95), p99: percentile(spreads, 99) },
    delay: { p50: percentile(delays, 50), p95: percentile(delays, 95), p99: percentile(delays, 99) },
    missed,
  };
}

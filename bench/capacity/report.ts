/** Rows and ratios of the capacity benchmark (pure: results in, text out). */
import type { StepResult } from './step.ts';

/** Largest p95 fan-out spread at which a step still counts as held, ms. */
export const SPREAD_LIMIT_MS = 1_000;
/**
 * Share of clients that must connect for a step to count as held at all. Held is about the
 * fan-out (the "largest N with p95 spread ≤ 1 s"); clients lost at connect are
 * reported beside it, not folded in, so the reference's lost CONNECTs show as such.
 */
export const CONNECTED_SHARE = 0.9;

export const heldBy = (r: StepResult): boolean => r.connected >= CONNECTED_SHARE * r.clients && r.spread.p95 !== null && r.spread.p95 <= SPREAD_LIMIT_MS;

export const HEADER = [
  '| clients | N | server | connected (open at end) | 400 at connect / in session | lost CONNECT | other errors | spread p50/p95/p99 ms | delay p50/p95/p99 ms | server cores (primary + workers) | generator cores | machine cores | RSS MiB (primary) | KiB/client | connect core-s per 1000 | held |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
].join('\n');

const n = (v: number | null, digits = 0) => (v === null ? '–' : v.toFixed(digits));
const trio = (t: { p50: number | null; p95: number | null; p99: number | null }) => `${n(t.p50)} / ${n(t.p95)} / ${n(t.p99)}`;

export function formatRow(r: StepResult): string {
  const { connect_400 = 0, session_400 = 0, lost_connect = 0, ...other } = r.errors;
  const others = Object.entries(other).map(([k, v]) => `${k} ${v}`).join(', ') || '0';
  return [
    '',
    r.kind,
    r.clients,
    r.target,
    `${r.connected} (${r.open})`,
    `${connect_400} / ${session_400}`,
    lost_connect,
    others,
    trio(r.spread),
    trio(r.delay),
    `${n(r.cores.server, 2)} (${n(r.cores.primary, 2)} + ${n(r.cores.workers, 2)})`,
    n(r.cores.generators, 2),
    n(r.cores.machine, 2),
    `${n(r.rssMiB)} (${n(r.primaryRssMiB)})`,
    n(r.kibPerClient, 1),
    n(r.connectCoreSecondsPerK, 2),
    heldBy(r) ? 'yes' : 'no',
    '',
  ].join(' | ').trim();
}

const ratio = (a: number | null | undefined, b: number | null | undefined) => (a == null || b == null || b === 0 ? '–' : `${(a / b).toFixed(2)}×`);

/** The comparisons the capacity issue asks for, one line each, per client kind. */
export function summary(results: readonly StepResult[]): string[] {
  const lines: string[] = [];
  for (const kind of [...new Set(results.map((r) => r.kind))]) {
    const of = (target: StepResult['target']) => results.filter((r) => r.kind === kind && r.target === target);
    const largest = (rows: StepResult[]) => rows.filter(heldBy).reduce<StepResult | undefined>((best, r) => (!best || r.clients > best.clients ? r : best), undefined);
    const svc = largest(of('service'));
    const ref = largest(of('reference'));
    lines.push(`${kind}: largest N held (p95 spread ≤ ${SPREAD_LIMIT_MS} ms, ≥ ${CONNECTED_SHARE * 100} % connected): service ${svc?.clients ?? 'none'}, reference ${ref?.clients ?? 'none'}, ratio ${ratio(svc?.clients, ref?.clients)}`);
    const service400s = of('service').reduce((a, r) => a + (r.errors.connect_400 ?? 0) + (r.errors.session_400 ?? 0), 0);
    const reference400s = of('reference').reduce((a, r) => a + (r.errors.connect_400 ?? 0) + (r.errors.session_400 ?? 0), 0);
    lines.push(`  400s over all steps: service ${service400s}, reference ${reference400s}`);
    if (svc) lines.push(`  service at its largest N (${svc.clients}): ${svc.clients - svc.connected} clients never connected`);
    // Equal N: the largest N both held, else the largest N both ran.
    const both = of('service').filter((s) => of('reference').some((r) => r.clients === s.clients));
    const pick = both.filter((s) => heldBy(s) && heldBy(of('reference').find((r) => r.clients === s.clients)!)).at(-1) ?? both.at(-1);
    if (pick) {
      const refAt = of('reference').find((r) => r.clients === pick.clients)!;
      lines.push(`  at N = ${pick.clients}: server cores ${ratio(pick.cores.server, refAt.cores.server)} the reference's (${n(pick.cores.server, 2)} vs ${n(refAt.cores.server, 2)}), KiB per client ${ratio(pick.kibPerClient, refAt.kibPerClient)} (${n(pick.kibPerClient, 1)} vs ${n(refAt.kibPerClient, 1)}), delay p99 ${ratio(pick.delay.p99, refAt.delay.p99)} (${n(pick.delay.p99)} vs ${n(refAt.delay.p99)} ms), connect work ${ratio(pick.connectCoreSecondsPerK, refAt.connectCoreSecondsPerK)} (${n(pick.connectCoreSecondsPerK, 2)} vs ${n(refAt.connectCoreSecondsPerK, 2)} core-s per 1000)`);
    }
    const at1000 = (rows: StepResult[]) => rows.find((r) => r.clients === 1000);
    const s1 = at1000(of('service'));
    const r1 = at1000(of('reference'));
    if (s1 && r1) lines.push(`  at N = 1000: delivery delay p99 ${ratio(s1.delay.p99, r1.delay.p99)} the reference's (${n(s1.delay.p99)} vs ${n(r1.delay.p99)} ms)`);
  }
  return lines;
}

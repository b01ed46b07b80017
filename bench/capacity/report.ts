/** Rows and ratios of the capacity benchmark (pure: results in, text out). */
import type { StepResult } from './step.ts';

/** Largest p95 fan-out spread at which a step still counts as held, ms. */
export const SPREAD_LIMIT_MS = 1_000;
/**
 * Share of clients that must connect for a step to count as held at all. Held is about the
 * fan-out (the issue's "largest N with p95 spread ≤ 1 s"); clients lost at connect are
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

/** The middle value (the lower of the two middle ones for an even count), null for none. */
export function median(values: readonly (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  return known.length === 0 ? null : known[Math.floor((known.length - 1) / 2)]!;
}

/**
 * Every run of one target at one N (`--repeat` runs each step several times, alternating the
 * targets), reduced to what the comparisons need: held by a strict majority of its runs, and
 * the median of each figure. One run of this machine moves a verdict by a step; the median of
 * alternating runs is the figure the docs trust.
 */
export interface StepFigures {
  kind: StepResult['kind'];
  target: StepResult['target'];
  clients: number;
  runs: number;
  held: boolean;
  connected: number;
  cores: number | null;
  kibPerClient: number | null;
  delayP99: number | null;
  connectCoreSecondsPerK: number | null;
}

export function stepFigures(results: readonly StepResult[]): StepFigures[] {
  const groups = new Map<string, StepResult[]>();
  for (const r of results) {
    const key = `${r.kind}|${r.target}|${r.clients}`;
    const runs = groups.get(key);
    if (runs) runs.push(r);
    else groups.set(key, [r]);
  }
  return [...groups.values()].map((runs) => ({
    kind: runs[0]!.kind,
    target: runs[0]!.target,
    clients: runs[0]!.clients,
    runs: runs.length,
    held: runs.filter(heldBy).length * 2 > runs.length,
    connected: median(runs.map((r) => r.connected))!,
    cores: median(runs.map((r) => r.cores.server)),
    kibPerClient: median(runs.map((r) => r.kibPerClient)),
    delayP99: median(runs.map((r) => r.delay.p99)),
    connectCoreSecondsPerK: median(runs.map((r) => r.connectCoreSecondsPerK)),
  }));
}

/** The comparisons the capacity issue asks for, one line each, per client kind (medians over repeated runs). */
export function summary(results: readonly StepResult[]): string[] {
  const lines: string[] = [];
  const steps = stepFigures(results);
  for (const kind of [...new Set(results.map((r) => r.kind))]) {
    const of = (target: StepResult['target']) => steps.filter((r) => r.kind === kind && r.target === target);
    const largest = (rows: StepFigures[]) => rows.filter((r) => r.held).reduce<StepFigures | undefined>((best, r) => (!best || r.clients > best.clients ? r : best), undefined);
    const svc = largest(of('service'));
    const ref = largest(of('reference'));
    const runs = Math.max(...steps.filter((r) => r.kind === kind).map((r) => r.runs));
    lines.push(`${kind}: largest N held (p95 spread ≤ ${SPREAD_LIMIT_MS} ms, ≥ ${CONNECTED_SHARE * 100} % connected${runs > 1 ? `, in most of ${runs} runs` : ''}): service ${svc?.clients ?? 'none'}, reference ${ref?.clients ?? 'none'}, ratio ${ratio(svc?.clients, ref?.clients)}${svc && !ref ? ' (the reference held none of its steps: add a smaller one for a ratio)' : ''}`);
    const raw = (target: StepResult['target']) => results.filter((r) => r.kind === kind && r.target === target);
    const count400 = (rows: StepResult[]) => rows.reduce((a, r) => a + (r.errors.connect_400 ?? 0) + (r.errors.session_400 ?? 0), 0);
    lines.push(`  400s over all steps: service ${count400(raw('service'))}, reference ${count400(raw('reference'))}`);
    if (svc) lines.push(`  service at its largest N (${svc.clients}): ${svc.clients - svc.connected} clients never connected${runs > 1 ? ' (median)' : ''}`);
    // Equal N: the largest N both held, else the largest N both ran.
    const both = of('service').filter((s) => of('reference').some((r) => r.clients === s.clients));
    const refAt = (clients: number) => of('reference').find((r) => r.clients === clients)!;
    const pick = both.filter((s) => s.held && refAt(s.clients).held).at(-1) ?? both.at(-1);
    const medians = runs > 1 ? ', medians' : '';
    if (pick) {
      const r = refAt(pick.clients);
      lines.push(`  at N = ${pick.clients}${medians}: server cores ${ratio(pick.cores, r.cores)} the reference's (${n(pick.cores, 3)} vs ${n(r.cores, 3)}), KiB per client ${ratio(pick.kibPerClient, r.kibPerClient)} (${n(pick.kibPerClient, 1)} vs ${n(r.kibPerClient, 1)}), delay p99 ${ratio(pick.delayP99, r.delayP99)} (${n(pick.delayP99)} vs ${n(r.delayP99)} ms), connect work ${ratio(pick.connectCoreSecondsPerK, r.connectCoreSecondsPerK)} (${n(pick.connectCoreSecondsPerK, 2)} vs ${n(r.connectCoreSecondsPerK, 2)} core-s per 1000)`);
    }
    const s1 = of('service').find((r) => r.clients === 1000);
    const r1 = of('reference').find((r) => r.clients === 1000);
    if (s1 && r1) lines.push(`  at N = 1000${medians}: delivery delay p99 ${ratio(s1.delayP99, r1.delayP99)} the reference's (${n(s1.delayP99)} vs ${n(r1.delayP99)} ms)`);
  }
  return lines;
}

/**
 * Text and JSON end-of-test summary for handleSummary(), without the remote jslib k6-summary
 * (k6 cannot fetch it offline and it has no types). Pure TypeScript, no k6 import.
 */

export interface SummaryMetric {
  type: 'counter' | 'gauge' | 'rate' | 'trend';
  contains?: 'default' | 'time' | 'data';
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}

export interface SummaryCheck {
  name: string;
  passes: number;
  fails: number;
}

export interface SummaryGroup {
  name?: string;
  checks?: SummaryCheck[];
  groups?: SummaryGroup[];
}

/** The part of k6's handleSummary() data this module reads. */
export interface SummaryData {
  metrics: Record<string, SummaryMetric>;
  root_group?: SummaryGroup;
  state?: { testRunDurationMs?: number };
}

/** Listed first, in this order; then every other metric alphabetically. */
export const KEY_METRICS = [
  'polling_unexpected_400_rate', 'polling_ended_400s', 'polling_errors', 'connect_success', 'session_lost', 'reconnects',
  'update_latency', 'foreign_route_updates', 'subscribe_confirmed', 'delta_version_gaps', 'invalid_events', 'events_received',
];

function num(v: number | undefined, digits = 2): string {
  if (v === undefined || Number.isNaN(v)) return '-';
  return Number.isInteger(v) ? String(v) : v.toFixed(digits);
}

function time(v: number | undefined): string {
  if (v === undefined) return '-';
  return v >= 1000 ? `${(v / 1000).toFixed(2)}s` : `${v.toFixed(2)}ms`;
}

export function formatMetric(m: SummaryMetric): string {
  const v = m.values;
  switch (m.type) {
    case 'counter':
      return `count=${num(v.count)} rate=${num(v.rate)}/s`;
    case 'rate':
      return `${((v.rate ?? 0) * 100).toFixed(2)}% (${num(v.passes)} true / ${num(v.fails)} false)`;
    case 'gauge':
      return `value=${num(v.value)} min=${num(v.min)} max=${num(v.max)}`;
    case 'trend': {
      const f = m.contains === 'time' ? time : (x: number | undefined) => num(x);
      return ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)']
        .filter((k) => v[k] !== undefined)
        .map((k) => `${k}=${f(v[k])}`)
        .join(' ');
    }
  }
}

function collectChecks(g: SummaryGroup | undefined, out: SummaryCheck[]): SummaryCheck[] {
  if (!g) return out;
  for (const c of g.checks ?? []) out.push(c);
  for (const sub of g.groups ?? []) collectChecks(sub, out);
  return out;
}

/** Failed thresholds as "metric: expression". */
export function failedThresholds(data: SummaryData): string[] {
  const failed: string[] = [];
  for (const [name, m] of Object.entries(data.metrics)) {
    for (const [expr, t] of Object.entries(m.thresholds ?? {})) if (!t.ok) failed.push(`${name}: ${expr}`);
  }
  return failed;
}

export function textSummary(data: SummaryData, title: string): string {
  const lines: string[] = [];
  const ms = data.state?.testRunDurationMs;
  lines.push(`== ${title}${ms !== undefined ? ` (${(ms / 1000).toFixed(1)} s)` : ''} ==`);
  const names = Object.keys(data.metrics);
  const ordered = KEY_METRICS.filter((n) => names.includes(n)).concat(names.filter((n) => !KEY_METRICS.includes(n)).sort());

  const thresholdLines: string[] = [];
  for (const name of ordered) {
    for (const [expr, t] of Object.entries(data.metrics[name]?.thresholds ?? {})) {
      thresholdLines.push(`  ${t.ok ? '✓' : '✗'} ${name} ${expr}`);
    }
  }
  if (thresholdLines.length) lines.push('thresholds:', ...thresholdLines);

  const checks = collectChecks(data.root_group, []);
  if (checks.length) {
    lines.push('checks:');
    for (const c of checks) lines.push(`  ${c.fails === 0 ? '✓' : '✗'} ${c.name}: ${c.passes} passed, ${c.fails} failed`);
  }

  lines.push('metrics:');
  const width = Math.max(...ordered.map((n) => n.length), 0);
  for (const name of ordered) {
    const m = data.metrics[name];
    if (m) lines.push(`  ${name.padEnd(width)}  ${formatMetric(m)}`);
  }
  const ended = data.metrics['polling_ended_400s']?.values.count ?? 0;
  if (ended > 0) {
    lines.push(
      `note: ${num(ended)} polling 400s named a session the server had ended (x-transit-session: ended): ` +
        "the protocol's answer after a ping timeout, a client close or a recycled worker; reported, not failed",
    );
  }
  const failed = failedThresholds(data);
  lines.push(failed.length ? `RESULT: FAIL (${failed.join('; ')})` : 'RESULT: PASS');
  return `${lines.join('\n')}\n`;
}

/** handleSummary() return value: text on stdout, full data as JSON at `jsonPath`. */
export function summaryOutputs(data: SummaryData, title: string, jsonPath: string): Record<string, string> {
  return { stdout: textSummary(data, title), [jsonPath]: JSON.stringify(data, null, 2) };
}

/**
 * Template variables of the dashboards and the PromQL rewriting that uses them: a
 * datasource variable every panel points at (`${datasource}`), filled from the import's
 * `DS_PROMETHEUS` input, and `app` / `instance` / `worker` selections, which every metric
 * selector of every panel carries as label matchers.
 *
 * Label names: Fly.io's Prometheus labels the series it scrapes with `app` (the Fly app) and
 * `instance` (the machine id); a self-run Prometheus has `instance` (host:port) and gets `app`
 * from the scrape config (prometheus/prometheus.yml). `worker` is this service's own label on
 * per-process metrics ("primary", "1", "2", ...). "All" is `.*`, which also matches a series
 * without the label, so a Prometheus that sets no `app` still fills every panel.
 *
 * Erasable TypeScript only (Node runs it with type stripping).
 */
import { BUILD_INFO, WORKER_LABEL } from '../../src/metrics/metric-names.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Name of the import input that picks the Prometheus datasource. */
export const DS_INPUT = 'DS_PROMETHEUS';
/** The datasource reference every panel, target, annotation and query variable uses. */
export const DATASOURCE = Object.freeze({ type: 'prometheus', uid: '${datasource}' });
/** What "All" stands for in a matcher. */
export const ALL_VALUE = '.*';

/** Target labels every metric selector is filtered by (dashboard variables of the same name). */
export const SCOPE_LABELS = ['app', 'instance'] as const;
/** Per-process metrics (prom-client defaults) also carry `worker`. */
const PER_PROCESS = /^(process_|nodejs_)/;

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);
const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
/** Aggregation operators, which may put `by (...)` between their name and their argument. */
const AGGREGATIONS = new Set(['sum', 'min', 'max', 'avg', 'count', 'group', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'limitk', 'limit_ratio']);

/** Index just past the bracket that closes the one at `open` (`(`/`)` or `[`/`]`, strings skipped). */
function closing(expr: string, open: number): number {
  const [o, c] = expr[open] === '(' ? ['(', ')'] : expr[open] === '{' ? ['{', '}'] : ['[', ']'];
  let depth = 0;
  for (let i = open; i < expr.length; i++) {
    const ch = expr[i]!;
    if (ch === '"' || ch === "'" || ch === '`') i = stringEnd(expr, i) - 1;
    else if (ch === o) depth++;
    else if (ch === c && --depth === 0) return i + 1;
  }
  throw new Error(`unbalanced ${o} at ${open} in: ${expr}`);
}

function stringEnd(expr: string, start: number): number {
  const q = expr[start]!;
  for (let i = start + 1; i < expr.length; i++) {
    if (expr[i] === '\\' && q !== '`') i++;
    else if (expr[i] === q) return i + 1;
  }
  throw new Error(`unterminated string at ${start} in: ${expr}`);
}

/** The matchers a metric's selector gets: `app=~"$app",instance=~"$instance"` (+ worker for per-process metrics). */
export function scopeMatchers(metric: string): string[] {
  const labels: string[] = [...SCOPE_LABELS];
  if (PER_PROCESS.test(metric)) labels.push(WORKER_LABEL);
  return labels.map((l) => `${l}=~"$${l}"`);
}

/**
 * Adds the dashboard's variable matchers to every metric selector of `expr`:
 * `rate(m{a="b"}[5m])` → `rate(m{app=~"$app",instance=~"$instance",a="b"}[5m])`. Function
 * names, keywords, grouping label lists, strings, durations and numbers are left alone.
 */
export function scoped(expr: string): string {
  let out = '';
  let i = 0;
  while (i < expr.length) {
    const ch = expr[i]!;
    if (ch === '"' || ch === "'" || ch === '`') {
      const end = stringEnd(expr, i);
      out += expr.slice(i, end);
      i = end;
    } else if (ch === '[' || ch === '{') {
      const end = closing(expr, i);
      out += expr.slice(i, end);
      i = end;
    } else if (/[0-9.]/.test(ch)) {
      const m = /^[0-9.]+(?:[eE][+-]?[0-9]+)?[a-z]*/.exec(expr.slice(i))!;
      out += m[0];
      i += m[0].length;
    } else if (/[A-Za-z_:]/.test(ch)) {
      const name = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(expr.slice(i))![0];
      i += name.length;
      const ws = /^\s*/.exec(expr.slice(i))![0];
      const next = expr[i + ws.length];
      out += name;
      if (GROUPING.has(name) && next === '(') {
        const end = closing(expr, i + ws.length);
        out += expr.slice(i, end);
        i = end;
      } else if (next === '(' || KEYWORDS.has(name.toLowerCase()) || (AGGREGATIONS.has(name) && /^\s*(by|without)\b/.test(expr.slice(i)))) {
        // a function call or a keyword: nothing to add
      } else if (next === '{') {
        const end = closing(expr, i + ws.length);
        const inner = expr.slice(i + ws.length + 1, end - 1).trim();
        out += `${ws}{${[...scopeMatchers(name), ...(inner ? [inner] : [])].join(',')}}`;
        i = end;
      } else {
        out += `{${scopeMatchers(name).join(',')}}`;
      }
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/** Values chosen for each variable: a list, or "all" (the `.*` of includeAll). */
export type VariableValues = Record<string, string[] | 'all'>;

/**
 * As Grafana's Prometheus datasource escapes a value for `=~"..."`: a regex escape, written
 * inside a PromQL string, so each backslash is doubled (`a.b` → `a\\.b` in the query text).
 */
const regexEscape = (v: string): string => v.replace(/[\\$^*+?.()|[\]{}']/g, (c) => (c === '\\' ? '\\\\\\\\' : `\\\\${c}`));

/**
 * Grafana's interpolation of `$var` / `${var}` / `[[var]]` for a Prometheus query: "All" is
 * {@link ALL_VALUE}; chosen values are regex-escaped and joined as `(a|b)` (the Prometheus
 * datasource's format for multi-value and include-all variables). An unknown variable stays.
 */
export function interpolate(expr: string, values: VariableValues): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)|\[\[(\w+)\]\]/g, (whole, a?: string, b?: string, c?: string) => {
    const v = values[(a ?? b ?? c)!];
    if (v === undefined) return whole;
    if (v === 'all') return ALL_VALUE;
    return v.length === 1 ? regexEscape(v[0]!) : `(${v.map(regexEscape).join('|')})`;
  });
}

/** The datasource variable: a Prometheus datasource, preset from the import's DS_PROMETHEUS input. */
export function datasourceVariable(): JsonObject {
  return {
    current: { selected: true, text: `\${${DS_INPUT}}`, value: `\${${DS_INPUT}}` },
    hide: 0,
    includeAll: false,
    label: 'Prometheus',
    multi: false,
    name: 'datasource',
    options: [],
    query: 'prometheus',
    refresh: 1,
    regex: '',
    skipUrlSync: false,
    type: 'datasource',
  };
}

/** A multi-value `label_values(...)` variable with "All" (= `.*`). */
export function labelVariable(name: string, label: string, selector: string, description: string): JsonObject {
  const query = `label_values(${selector}, ${name})`;
  return {
    allValue: ALL_VALUE,
    current: { selected: true, text: ['All'], value: ['$__all'] },
    datasource: { ...DATASOURCE },
    definition: query,
    description,
    hide: 0,
    includeAll: true,
    label,
    multi: true,
    name,
    options: [],
    query: { qryType: 1, query, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
    refresh: 2,
    regex: '',
    skipUrlSync: false,
    sort: 1,
    type: 'query',
  };
}

/** `app` and `instance`, read from transit_build_info (every instance of this service exports it). */
export function scopeVariables(): JsonObject[] {
  return [
    labelVariable('app', 'App', BUILD_INFO, 'The app label: the Fly app, or the app label of the scrape config.'),
    labelVariable('instance', 'Instance', `${BUILD_INFO}{app=~"$app"}`, 'A scrape target: a Fly machine id, or host:port.'),
  ];
}

/** `worker`: "primary", "1", "2", ... of the chosen instances (per-process metrics). */
export function workerVariable(): JsonObject {
  return labelVariable(WORKER_LABEL, 'Worker', `process_start_time_seconds{app=~"$app",instance=~"$instance"}`, 'A process of the instance: primary, or a worker by its index.');
}

/** `__inputs` and `__requires` of a dashboard that Grafana's import understands. */
export function importHeader(panelTypes: string[]): JsonObject {
  return {
    __inputs: [
      {
        name: DS_INPUT,
        label: 'Prometheus',
        description: "The Prometheus that scrapes Transit Tracker's METRICS_PORT",
        type: 'datasource',
        pluginId: 'prometheus',
        pluginName: 'Prometheus',
      },
    ],
    __requires: [
      { type: 'grafana', id: 'grafana', name: 'Grafana', version: '11.0.0' },
      { type: 'datasource', id: 'prometheus', name: 'Prometheus', version: '1.0.0' },
      ...[...new Set(panelTypes)].sort().map((t) => ({ type: 'panel', id: t, name: t === 'stat' ? 'Stat' : 'Time series', version: '' })),
    ],
  };
}

/**
 * What Grafana does with a dashboard file on import, closely enough to evaluate every panel
 * against a real Prometheus: replace each `${DS_...}` input with the datasource picked, resolve
 * the datasource variable, ask Prometheus for each `label_values(...)` variable in order (as
 * Grafana does, `/api/v1/label/<name>/values?match[]=...`), and interpolate every query.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { queriesOf, type SourcedQuery } from '../../dashboards/generate.js';
import { interpolate, type JsonObject, type VariableValues } from '../../dashboards/src/variables.js';
import type { PrometheusServer } from './prometheus-server.js';
import { ROOT } from './promtool.js';

type Obj = Record<string, unknown>;

/** A committed dashboard file, imported with every `__inputs` datasource set to `datasourceUid`. */
export function importDashboard(uid: string, datasourceUid: string): Obj {
  let text = readFileSync(join(ROOT, 'dashboards', `${uid}.json`), 'utf8');
  const inputs = (JSON.parse(text) as { __inputs?: { name: string; type: string }[] }).__inputs ?? [];
  for (const input of inputs.filter((i) => i.type === 'datasource')) text = text.replaceAll(`\${${input.name}}`, datasourceUid);
  return JSON.parse(text) as Obj;
}

/** Every `datasource` reference of a dashboard, with the variables of `values` substituted. */
export function resolvedDatasources(d: Obj, values: VariableValues): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node as Obj)) {
        if (k === 'datasource' && v && typeof v === 'object' && 'uid' in v) found.push(interpolate(String((v as Obj)['uid']), values));
        else walk(v);
      }
    }
  };
  walk({ panels: d['panels'], annotations: d['annotations'], templating: d['templating'] });
  return found;
}

export type Choice = 'all' | 'first';

/**
 * Resolves the dashboard's variables in order: the datasource variable from its `current`
 * value (after import), each query variable from Prometheus, set to All or to its first value.
 */
export async function resolveVariables(d: Obj, prom: PrometheusServer, choice: Choice): Promise<{ values: VariableValues; options: Record<string, string[]> }> {
  const values: VariableValues = {};
  const options: Record<string, string[]> = {};
  for (const v of (d['templating'] as { list: Obj[] }).list) {
    const name = String(v['name']);
    if (v['type'] === 'datasource') {
      values[name] = [String((v['current'] as Obj)['value'])];
      continue;
    }
    const m = /^label_values\((.+),\s*(\w+)\)$/.exec(String(v['definition']));
    if (!m) throw new Error(`variable ${name}: not a label_values() query: ${String(v['definition'])}`);
    const found = await prom.labelValues(m[2]!, interpolate(m[1]!, values));
    options[name] = found;
    values[name] = choice === 'all' || found.length === 0 ? 'all' : [found[0]!];
  }
  return { values, options };
}

/** Every query of an imported dashboard with its variables substituted. */
export function interpolatedQueries(uid: string, d: Obj, values: VariableValues): SourcedQuery[] {
  return queriesOf(uid, d as JsonObject).map((q) => ({ ...q, expr: interpolate(q.expr, values) }));
}

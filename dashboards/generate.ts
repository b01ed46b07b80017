/**
 * Generates Transit Tracker's Grafana dashboards (dashboards/*.json) and Prometheus rule
 * file (prometheus/rules.yml) from TypeScript.
 *
 *   node dashboards/generate.ts           # write them (Node 24 strips the types)
 *   node dashboards/generate.ts --check   # exit 1 if a committed file is out of date
 *
 * The generated files are committed; test/observability checks they equal this output.
 * Erasable TypeScript only; relative imports carry their `.ts` extension.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildRulesYaml, isMainModule, readRuleExpressions, RULES_YML_URL, writeRulesYaml } from '../prometheus/rules.ts';
import { type Json, type JsonObject } from './src/grafana.ts';
import { overviewDashboard } from './src/overview.ts';
import { workersDashboard } from './src/workers.ts';

export { PROVISIONED_DATASOURCE_UID } from './src/grafana.ts';

/** Every dashboard by file name (without `.json`), which is also its uid. */
export function buildDashboards(): Record<string, object> {
  const list = [overviewDashboard(), workersDashboard()];
  return Object.fromEntries(list.map((d) => [String(d['uid']), d]));
}

/** The exact text of dashboards/<name>.json. */
export function renderDashboard(dashboard: object): string {
  return JSON.stringify(dashboard, null, 2) + '\n';
}

export interface SourcedQuery {
  source: string;
  expr: string;
}

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every PromQL expression of one dashboard's panel targets and annotations (variables left in). */
export function queriesOf(uid: string, d: JsonObject): SourcedQuery[] {
  const out: SourcedQuery[] = [];
  const annotations = isObject(d['annotations']) ? d['annotations']['list'] : undefined;
  for (const a of Array.isArray(annotations) ? annotations : []) {
    if (isObject(a) && typeof a['expr'] === 'string') {
      out.push({ source: `${uid} annotation "${String(a['name'])}"`, expr: a['expr'] });
    }
  }
  const visit = (panels: Json | undefined): void => {
    for (const p of Array.isArray(panels) ? panels : []) {
      if (!isObject(p)) continue;
      const targets = p['targets'];
      for (const t of Array.isArray(targets) ? targets : []) {
        if (isObject(t) && typeof t['expr'] === 'string') {
          out.push({ source: `${uid} panel ${String(p['id'])} "${String(p['title'])}" ${String(t['refId'])}`, expr: t['expr'] });
        }
      }
      visit(p['panels']);
    }
  };
  visit(d['panels']);
  return out;
}

/** Every PromQL expression of every panel target (and annotation) of every dashboard. */
export function allQueries(): SourcedQuery[] {
  return (Object.entries(buildDashboards()) as [string, JsonObject][]).flatMap(([uid, d]) => queriesOf(uid, d));
}

/** Every rule expression of the committed prometheus/rules.yml. */
export function ruleQueries(): SourcedQuery[] {
  return readRuleExpressions();
}

/** Every generated file: absolute path → content. */
export function generatedFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [name, d] of Object.entries(buildDashboards())) {
    files[fileURLToPath(new URL(`./${name}.json`, import.meta.url))] = renderDashboard(d);
  }
  files[fileURLToPath(RULES_YML_URL)] = buildRulesYaml();
  return files;
}

/** Writes dashboards/*.json; returns the paths written. */
export function writeDashboards(): string[] {
  return Object.entries(buildDashboards()).map(([name, d]) => {
    const path = fileURLToPath(new URL(`./${name}.json`, import.meta.url));
    writeFileSync(path, renderDashboard(d));
    return path;
  });
}

/** Paths of generated files whose committed content differs from the generator's output. */
export function staleFiles(): string[] {
  return Object.entries(generatedFiles())
    .filter(([path, content]) => !existsSync(path) || readFileSync(path, 'utf8') !== content)
    .map(([path]) => path);
}

if (isMainModule(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const stale = staleFiles();
    for (const path of stale) console.error(`out of date: ${path} (run node dashboards/generate.ts)`);
    if (stale.length > 0) process.exit(1);
    console.log('dashboards/*.json and prometheus/rules.yml are up to date');
  } else {
    for (const path of [...writeDashboards(), writeRulesYaml()]) console.log(`wrote ${path}`);
  }
}

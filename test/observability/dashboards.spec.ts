import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { allQueries, buildDashboards, renderDashboard } from '../../dashboards/generate.js';
import { ALL_VALUE, DS_INPUT, interpolate, scoped, SCOPE_LABELS } from '../../dashboards/src/variables.js';
import { DEFAULT_METRICS_USED } from '../../dashboards/src/workers.js';
import { renderRulesYaml, RULE_GROUPS } from '../../prometheus/rules.js';
import { METRIC_DEFINITIONS } from '../../src/metrics/metric-definitions.js';
import { WORKER_LABEL } from '../../src/metrics/metric-names.js';
import { labelNamesIn, metricNamesIn } from './promql.js';
import { invalidPromQL, ROOT } from './promtool.js';

type Obj = Record<string, unknown>;
const DS_REF = { type: 'prometheus', uid: '${datasource}' };
const EXPECTED_UIDS = ['transit-overview', 'transit-workers'];
/** Every variable at "All": what the dashboards show on first load. */
const ALL = { app: 'all', instance: 'all', worker: 'all' } as const;
const oneLine = (expr: string) => expr.replace(/\s*\n\s*/g, ' ');
const variablesOf = (d: Obj): Obj[] => (d['templating'] as { list: Obj[] }).list;

const dashboards = buildDashboards() as Record<string, Obj>;
const panelsOf = (d: Obj): Obj[] =>
  (d['panels'] as Obj[]).flatMap((p) => [p, ...((p['panels'] as Obj[] | undefined) ?? [])]);
const allPanels = (): { uid: string; panel: Obj }[] =>
  Object.entries(dashboards).flatMap(([uid, d]) => panelsOf(d).map((panel) => ({ uid, panel })));

/** Every `datasource` object anywhere in a JSON tree. */
function datasources(node: unknown, found: Obj[] = []): Obj[] {
  if (Array.isArray(node)) node.forEach((n) => datasources(n, found));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node as Obj)) {
      if (k === 'datasource') found.push(v as Obj);
      else datasources(v, found);
    }
  }
  return found;
}

describe('dashboards', () => {
  it('the committed dashboards/*.json are exactly what dashboards/generate.ts produces', () => {
    const committed = readdirSync(join(ROOT, 'dashboards'))
      .filter((f) => f.endsWith('.json'))
      .sort();
    expect(committed).toEqual(Object.keys(dashboards).map((n) => `${n}.json`).sort());
    for (const [name, d] of Object.entries(dashboards)) {
      expect(readFileSync(join(ROOT, 'dashboards', `${name}.json`), 'utf8'), `${name}.json is stale: run node dashboards/generate.ts`).toBe(
        renderDashboard(d),
      );
    }
  });

  it('generates the same JSON every time (no timestamps, random ids)', () => {
    expect(JSON.stringify(buildDashboards())).toBe(JSON.stringify(dashboards));
  });

  it('have stable uids equal to their file names', () => {
    expect(Object.keys(dashboards).sort()).toEqual(EXPECTED_UIDS);
    for (const [name, d] of Object.entries(dashboards)) {
      expect(d['uid']).toBe(name);
      expect(d['id']).toBeNull();
      expect(String(d['uid'])).toMatch(/^[a-z0-9-]{1,40}$/);
    }
  });

  it('every panel, target, annotation and query variable uses the datasource variable, never a fixed uid', () => {
    for (const [name, d] of Object.entries(dashboards)) {
      const refs = datasources(d);
      expect(refs.length, name).toBeGreaterThan(0);
      for (const ds of refs) expect(ds, name).toEqual(DS_REF);
      expect(JSON.stringify(d), name).not.toContain('transit-prometheus');
    }
    for (const { uid, panel } of allPanels()) {
      if (panel['type'] === 'row') continue;
      expect(panel['datasource'], `${uid} ${String(panel['title'])}`).toEqual(DS_REF);
      for (const t of panel['targets'] as Obj[]) expect(t['datasource']).toEqual(DS_REF);
    }
  });

  it('import: a DS_PROMETHEUS input fills the datasource variable, which comes first', () => {
    for (const [name, d] of Object.entries(dashboards)) {
      expect(d['__inputs'], name).toEqual([expect.objectContaining({ name: DS_INPUT, type: 'datasource', pluginId: 'prometheus' })]);
      expect((d['__requires'] as Obj[]).map((r) => r['id'])).toEqual(expect.arrayContaining(['grafana', 'prometheus', 'timeseries']));
      const [ds] = variablesOf(d);
      expect(ds, name).toMatchObject({ name: 'datasource', type: 'datasource', query: 'prometheus', current: { value: `\${${DS_INPUT}}` } });
      // The input appears nowhere else: panels resolve through the variable, so a provisioned
      // copy (no import, the literal left in place) falls back to the default Prometheus.
      expect(JSON.stringify(d).split(`\${${DS_INPUT}}`).length - 1, name).toBe(2);
    }
  });

  it('app and instance (and worker on the workers dashboard) are multi-value label variables with All = .*', () => {
    const names = (d: Obj) => variablesOf(d).map((v) => v['name']);
    expect(names(dashboards['transit-overview']!)).toEqual(['datasource', 'app', 'instance']);
    expect(names(dashboards['transit-workers']!)).toEqual(['datasource', 'app', 'instance', 'worker']);
    const byName = Object.fromEntries(variablesOf(dashboards['transit-workers']!).map((v) => [v['name'], v]));
    expect(byName['app']!['definition']).toBe('label_values(transit_build_info, app)');
    expect(byName['instance']!['definition']).toBe('label_values(transit_build_info{app=~"$app"}, instance)');
    expect(byName['worker']!['definition']).toBe('label_values(process_start_time_seconds{app=~"$app",instance=~"$instance"}, worker)');
    for (const v of Object.values(byName).slice(1)) expect(v).toMatchObject({ type: 'query', multi: true, includeAll: true, allValue: ALL_VALUE, datasource: DS_REF });
    // Links between the dashboards keep the selection.
    for (const d of Object.values(dashboards)) for (const l of d['links'] as Obj[]) expect(l['includeVars']).toBe(true);
  });

  it('every metric selector of every panel is filtered by app and instance, per-process metrics also by worker', () => {
    let perProcess = 0;
    for (const q of allQueries()) {
      const selectors = [...q.expr.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)\{([^}]*)\}/g)];
      perProcess += selectors.filter(([, metric]) => /^(process_|nodejs_)/.test(metric!)).length;
      expect(selectors.length, q.source).toBeGreaterThan(0);
      for (const [, metric, matchers] of selectors) {
        for (const l of SCOPE_LABELS) expect(matchers, `${q.source}: ${metric}`).toContain(`${l}=~"$${l}"`);
        // Per-process metrics (process_*, nodejs_*) also carry the worker filter; the service's own do not need it.
        expect(matchers!.includes('worker=~"$worker"') || !/^(process_|nodejs_)/.test(metric!), `${q.source}: ${metric} without worker=~"$worker"`).toBe(true);
      }
      // No bare metric name escapes the filter.
      const filtered = new Set(selectors.map((m) => m[1]));
      for (const name of metricNamesIn(q.expr)) expect(filtered.has(name), `${q.source}: ${name} without matchers`).toBe(true);
    }
    expect(perProcess).toBeGreaterThan(0); // the worker rule above was exercised
  });

  it('scoped() adds the matchers to selectors only, and interpolate() formats values as Grafana does', () => {
    expect(scoped('sum by (le) (rate(m_bucket{a="x}y"}[5m])) / on() max(n) > bool 0.5')).toBe(
      'sum by (le) (rate(m_bucket{app=~"$app",instance=~"$instance",a="x}y"}[5m])) / on() max(n{app=~"$app",instance=~"$instance"}) > bool 0.5',
    );
    expect(scoped('max by (worker) (time() - process_start_time_seconds)')).toBe(
      'max by (worker) (time() - process_start_time_seconds{app=~"$app",instance=~"$instance",worker=~"$worker"})',
    );
    expect(scoped('histogram_quantile(0.95, sum without (x) (rate(h[1h] offset 5m)))')).toBe(
      'histogram_quantile(0.95, sum without (x) (rate(h{app=~"$app",instance=~"$instance"}[1h] offset 5m)))',
    );
    expect(interpolate('m{app=~"$app",instance=~"${instance}"}', { app: 'all', instance: ['a.b:9091', 'c'] })).toBe(String.raw`m{app=~".*",instance=~"(a\\.b:9091|c)"}`);
    expect(interpolate('m{app=~"[[app]]"}', { app: ['x'] })).toBe('m{app=~"x"}');
  });

  it('are Grafana 11 dashboards with unique panel ids, valid gridPos and no overlapping panels', () => {
    for (const [name, d] of Object.entries(dashboards)) {
      expect(d['schemaVersion'], name).toBeGreaterThanOrEqual(39);
      const panels = panelsOf(d);
      expect(new Set(panels.map((p) => p['id'])).size, name).toBe(panels.length);
      const cells = new Set<string>();
      for (const p of panels) {
        const { x, y, w, h } = p['gridPos'] as { x: number; y: number; w: number; h: number };
        expect(['timeseries', 'stat', 'row'], String(p['title'])).toContain(p['type']);
        expect(x + w, String(p['title'])).toBeLessThanOrEqual(24);
        expect(w > 0 && h > 0 && x >= 0 && y >= 0).toBe(true);
        for (let i = x; i < x + w; i++)
          for (let j = y; j < y + h; j++) {
            const cell = `${i},${j}`;
            expect(cells.has(cell), `${name}: ${String(p['title'])} overlaps at ${cell}`).toBe(false);
            cells.add(cell);
          }
      }
    }
  });

  it('overview has the required panels', () => {
    const titles = panelsOf(dashboards['transit-overview']!).map((p) => p['title']);
    for (const t of [
      'Connections by transport',
      'Session ID unknown by cause (1h)',
      'Session ID unknown by cause',
      'Polling 400 share: misrouted + unknown',
      'Connection errors by code',
      'Reconnects and lost sessions',
      'Disconnect reasons',
      'Upstream calls per day vs always-on baseline and budget',
      'Poller active vs viewers',
      'Snapshot age',
      'Broadcast latency',
      'Worker restarts by reason',
    ]) {
      expect(titles).toContain(t);
    }
  });

  it('the misrouted + unknown share panel draws a 5 % threshold line and plots the recorded ratio', () => {
    const panel = panelsOf(dashboards['transit-overview']!).find(
      (p) => p['title'] === 'Polling 400 share: misrouted + unknown' && p['type'] === 'timeseries',
    )!;
    const defaults = (panel['fieldConfig'] as Obj)['defaults'] as Obj;
    expect(defaults['unit']).toBe('percentunit');
    expect((defaults['custom'] as Obj)['thresholdsStyle']).toEqual({ mode: 'line' });
    expect((defaults['thresholds'] as Obj)['steps']).toContainEqual({ color: 'red', value: 0.05 });
    const ratio = RULE_GROUPS.flatMap((g) => g.rules).find((r) => 'record' in r && r.record === 'transit:polling_misrouted_or_unknown_ratio:rate5m')!;
    expect((panel['targets'] as Obj[]).map((t) => t['expr'])).toEqual([scoped(oneLine(ratio.expr))]);
  });

  it('"Session ID unknown" panels show 400s by cause (misrouted, ended, unknown), not plain polling 400s', () => {
    const panels = panelsOf(dashboards['transit-overview']!);
    const stat = panels.find((p) => p['title'] === 'Session ID unknown by cause (1h)' && p['type'] === 'stat')!;
    expect((stat['targets'] as Obj[]).map((t) => t['expr'])).toEqual([scoped('sum by (cause) (increase(transit_session_unknown_total[1h]))')]);
    const series = panels.find((p) => p['title'] === 'Session ID unknown by cause' && p['type'] === 'timeseries')!;
    expect((series['targets'] as Obj[]).map((t) => t['expr'])).toEqual([scoped('sum by (cause, transport) (rate(transit_session_unknown_total[5m])) * 60')]);
    // Each cause has its colour: misrouted red, unknown orange, ended (expected) blue.
    const colours = Object.fromEntries(
      ((series['fieldConfig'] as Obj)['overrides'] as Obj[]).map((o) => [
        String((o['matcher'] as Obj)['options']),
        ((o['properties'] as Obj[])[0]!['value'] as Obj)['fixedColor'],
      ]),
    );
    expect(colours).toEqual({ '^misrouted': 'red', '^unknown': 'orange', '^ended': 'blue' });
    // No panel judges sessions by plain polling 400s any more (the by-status panel shows every status).
    for (const q of allQueries()) expect(q.expr, q.source).not.toMatch(/status\s*=~?\s*"400"/);
  });

  it('upstream calls panel compares against the always-on baseline and the budget', () => {
    const panel = panelsOf(dashboards['transit-overview']!).find((p) => String(p['title']).startsWith('Upstream calls per day'))!;
    const exprs = (panel['targets'] as Obj[]).map((t) => t['expr']);
    expect(exprs).toContain(scoped('sum(rate(transit_upstream_requests_total[1h])) * 86400'));
    expect(exprs).toContain(scoped('86400 / max(transit_poll_interval_seconds) * max(transit_feeds)'));
    expect(exprs).toContain(scoped('max(transit_upstream_daily_budget)'));
  });

  it('broadcast latency shows p50, p95 and p99 from the histogram', () => {
    const panel = panelsOf(dashboards['transit-overview']!).find((p) => p['title'] === 'Broadcast latency')!;
    const exprs = (panel['targets'] as Obj[]).map((t) => String(t['expr']));
    for (const q of ['0.5', '0.95', '0.99'])
      expect(exprs).toContain(scoped(`histogram_quantile(${q}, sum by (le) (rate(transit_broadcast_duration_seconds_bucket[5m])))`));
  });

  it('allQueries() lists every target and annotation expression', () => {
    const queries = allQueries();
    const targetCount = allPanels().reduce((n, { panel }) => n + ((panel['targets'] as Obj[] | undefined)?.length ?? 0), 0);
    const annotationCount = Object.values(dashboards).reduce(
      (n, d) => n + ((d['annotations'] as Obj)['list'] as Obj[]).filter((a) => 'expr' in a).length,
      0,
    );
    expect(queries).toHaveLength(targetCount + annotationCount);
    expect(new Set(queries.map((q) => q.source)).size).toBe(queries.length);
    for (const q of queries) {
      expect(q.expr.trim(), q.source).not.toBe('');
      // Only the dashboards' own variables, which interpolate() resolves for Prometheus.
      expect(interpolate(q.expr, ALL), `${q.source}: a variable no dashboard defines`).not.toMatch(/\$/);
    }
  });

  it('every panel query is valid PromQL (promtool check rules on a temporary rules file)', () => {
    const bad = invalidPromQL(
      allQueries().map((q) => ({ ...q, expr: interpolate(q.expr, ALL) })),
      renderRulesYaml,
    );
    expect(bad, JSON.stringify(bad, null, 2)).toEqual([]);
  });

  it('every panel query uses known metrics and their labels', () => {
    const defs = new Map(METRIC_DEFINITIONS.map((d) => [d.name, d]));
    const records = RULE_GROUPS.flatMap((g) => g.rules.flatMap((r) => ('record' in r ? [r.record] : [])));
    const used = new Set<string>();
    for (const q of allQueries()) {
      const labels = new Set<string>(SCOPE_LABELS);
      for (const name of metricNamesIn(q.expr)) {
        const base = name.replace(/_(bucket|sum|count)$/, '');
        const def = defs.get(name) ?? (defs.get(base)?.type === 'histogram' ? defs.get(base) : undefined);
        if (def) {
          used.add(def.name);
          def.labelNames.forEach((l) => labels.add(l));
          if (name.endsWith('_bucket')) labels.add('le');
        } else if ((DEFAULT_METRICS_USED as readonly string[]).includes(name) || (DEFAULT_METRICS_USED as readonly string[]).includes(base)) {
          labels.add(WORKER_LABEL);
        } else {
          expect(records, `${q.source}: unknown metric ${name}`).toContain(name);
        }
      }
      for (const l of labelNamesIn(q.expr)) expect([...labels], `${q.source}: label ${l}`).toContain(l);
    }
    // Every metric of the service is on a dashboard.
    expect([...used].sort()).toEqual(METRIC_DEFINITIONS.map((d) => d.name).sort());
  });

  it('Grafana provisioning matches: datasource uid and url, dashboards path', () => {
    const yml = (file: string) => parse(readFileSync(join(ROOT, 'grafana/provisioning', file), 'utf8')) as Record<string, unknown[]>;
    // Provisioned copies keep the literal ${DS_PROMETHEUS}: the variable falls back to the default.
    expect(yml('datasources/prometheus.yml').datasources).toEqual([
      expect.objectContaining({ uid: 'transit-prometheus', type: 'prometheus', url: 'http://prometheus:9090', isDefault: true }),
    ]);
    expect(yml('dashboards/dashboards.yml').providers).toEqual([
      expect.objectContaining({ type: 'file', options: expect.objectContaining({ path: '/var/lib/grafana/dashboards' }) }),
    ]);
  });
});

describe('dashboards/generate.ts under Node type stripping', () => {
  it('runs as a script (erasable TypeScript only) and finds the committed files up to date', () => {
    const r = spawnSync(process.execPath, ['--experimental-strip-types', 'dashboards/generate.ts', '--check'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, `${process.execPath} ${process.version}\n${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('up to date');
  });
});

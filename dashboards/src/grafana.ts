/**
 * Small builders for Grafana 11 dashboard JSON (schemaVersion 39): timeseries and stat
 * panels, rows, Prometheus targets and a grid layout. Plain objects, no dependencies.
 *
 * Erasable TypeScript only (Node runs it with type stripping): no enums, namespaces or
 * parameter properties.
 */
import { WORKER_RESTARTS_TOTAL } from '../../src/metrics/metric-names.ts';
import { DATASOURCE, datasourceVariable, importHeader, scoped, type Json, type JsonObject } from './variables.ts';

export { DATASOURCE, type Json, type JsonObject } from './variables.ts';

/**
 * uid of the datasource that grafana/provisioning/datasources/prometheus.yml provisions. The
 * dashboards do not name it: they use the `datasource` variable, which an import fills from
 * its DS_PROMETHEUS input and provisioning from the default Prometheus (this one).
 */
export const PROVISIONED_DATASOURCE_UID = 'transit-prometheus';
export const SCHEMA_VERSION = 39;
export const DASHBOARD_TAGS = ['transit-tracker'];

export interface Query {
  expr: string;
  legend?: string;
  /** Instant query (stat panels); range otherwise. */
  instant?: boolean;
}

export interface ThresholdStep {
  color: string;
  value: number | null;
}

export interface PanelCommon {
  title: string;
  description?: string;
  queries: Query[];
  unit?: string;
  min?: number;
  max?: number;
  decimals?: number;
  /** Absolute threshold steps; the first has value null (base). */
  thresholds?: ThresholdStep[];
  overrides?: JsonObject[];
  /** Width (of 24) and height in grid units. */
  w?: number;
  h?: number;
}

export interface TimeseriesOptions extends PanelCommon {
  /** Draw the thresholds as lines (e.g. the 5 % line). */
  thresholdLines?: boolean;
  drawStyle?: 'line' | 'bars' | 'points';
  stacking?: boolean;
  fillOpacity?: number;
  lineInterpolation?: 'linear' | 'smooth' | 'stepAfter' | 'stepBefore';
  axisLabel?: string;
  softMax?: number;
}

export interface StatOptions extends PanelCommon {
  mappings?: JsonObject[];
  /** `name` shows the series' legend (info metrics: the labels are the value). */
  textMode?: 'auto' | 'name' | 'value';
  graphMode?: 'area' | 'none';
  colorMode?: 'value' | 'background' | 'none';
}

/** A panel before layout: the layout assigns `id` and `gridPos`. */
export interface PendingPanel {
  w: number;
  h: number;
  panel: JsonObject;
}

const REF_IDS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function targets(queries: Query[]): Json[] {
  return queries.map((q, i) => {
    const t: JsonObject = {
      datasource: { ...DATASOURCE },
      editorMode: 'code',
      expr: scoped(q.expr),
      legendFormat: q.legend ?? '__auto',
      refId: REF_IDS[i]!,
    };
    if (q.instant) {
      t['instant'] = true;
      t['range'] = false;
    } else {
      t['range'] = true;
    }
    return t;
  });
}

function thresholds(steps: ThresholdStep[] | undefined): JsonObject {
  return {
    mode: 'absolute',
    steps: (steps ?? [{ color: 'green', value: null }]).map((s) => ({ color: s.color, value: s.value })),
  };
}

function defaultsCommon(o: PanelCommon): JsonObject {
  const d: JsonObject = {
    mappings: [],
    thresholds: thresholds(o.thresholds),
    unit: o.unit ?? 'short',
  };
  if (o.min !== undefined) d['min'] = o.min;
  if (o.max !== undefined) d['max'] = o.max;
  if (o.decimals !== undefined) d['decimals'] = o.decimals;
  return d;
}

export function timeseries(o: TimeseriesOptions): PendingPanel {
  const custom: JsonObject = {
    axisBorderShow: false,
    axisCenteredZero: false,
    axisColorMode: 'text',
    axisLabel: o.axisLabel ?? '',
    axisPlacement: 'auto',
    barAlignment: 0,
    drawStyle: o.drawStyle ?? 'line',
    fillOpacity: o.fillOpacity ?? (o.stacking ? 25 : 10),
    gradientMode: 'none',
    hideFrom: { legend: false, tooltip: false, viz: false },
    insertNulls: false,
    lineInterpolation: o.lineInterpolation ?? 'linear',
    lineWidth: 1,
    pointSize: 5,
    scaleDistribution: { type: 'linear' },
    showPoints: 'never',
    spanNulls: false,
    stacking: { group: 'A', mode: o.stacking ? 'normal' : 'none' },
    thresholdsStyle: { mode: o.thresholdLines ? 'line' : 'off' },
  };
  if (o.softMax !== undefined) custom['axisSoftMax'] = o.softMax;
  const panel: JsonObject = {
    type: 'timeseries',
    title: o.title,
    description: o.description ?? '',
    datasource: { ...DATASOURCE },
    fieldConfig: {
      defaults: { color: { mode: 'palette-classic' }, custom, ...defaultsCommon({ min: 0, ...o }) },
      overrides: o.overrides ?? [],
    },
    options: {
      legend: { calcs: ['lastNotNull', 'max'], displayMode: 'table', placement: 'bottom', showLegend: true },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
    targets: targets(o.queries),
  };
  return { w: o.w ?? 12, h: o.h ?? 8, panel };
}

export function stat(o: StatOptions): PendingPanel {
  const panel: JsonObject = {
    type: 'stat',
    title: o.title,
    description: o.description ?? '',
    datasource: { ...DATASOURCE },
    fieldConfig: {
      defaults: { color: { mode: 'thresholds' }, ...defaultsCommon(o), mappings: o.mappings ?? [] },
      overrides: o.overrides ?? [],
    },
    options: {
      colorMode: o.colorMode ?? 'value',
      graphMode: o.graphMode ?? 'area',
      justifyMode: 'auto',
      orientation: 'auto',
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      showPercentChange: false,
      textMode: o.textMode ?? 'auto',
      wideLayout: true,
    },
    targets: targets(o.queries),
  };
  return { w: o.w ?? 4, h: o.h ?? 4, panel };
}

/** A (non-collapsed) row header spanning the full width. */
export function row(title: string): PendingPanel {
  return { w: 24, h: 1, panel: { type: 'row', title, collapsed: false, panels: [] } };
}

/** Field override: series whose display name is `name`. */
export function byName(name: string, properties: JsonObject[]): JsonObject {
  return { matcher: { id: 'byName', options: name }, properties };
}

/** Field override: series whose display name matches the regular expression `pattern`. */
export function byRegexp(pattern: string, properties: JsonObject[]): JsonObject {
  return { matcher: { id: 'byRegexp', options: pattern }, properties };
}

/** Override properties: one fixed colour (Grafana colour name). */
export function fixedColor(color: string): JsonObject[] {
  return [{ id: 'color', value: { fixedColor: color, mode: 'fixed' } }];
}

export const dashedRed: JsonObject[] = [
  { id: 'color', value: { fixedColor: 'red', mode: 'fixed' } },
  { id: 'custom.lineStyle', value: { dash: [10, 10], fill: 'dash' } },
  { id: 'custom.fillOpacity', value: 0 },
];

export const dashedGrey: JsonObject[] = [
  { id: 'color', value: { fixedColor: 'text', mode: 'fixed' } },
  { id: 'custom.lineStyle', value: { dash: [4, 6], fill: 'dash' } },
  { id: 'custom.fillOpacity', value: 0 },
];

/** Flows panels left to right, wrapping at 24 columns; assigns ids and gridPos. */
export function layout(pending: PendingPanel[]): JsonObject[] {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return pending.map((p, i) => {
    if (x + p.w > 24 || p.panel['type'] === 'row') {
      if (x > 0) {
        y += rowHeight;
        x = 0;
        rowHeight = 0;
      }
    }
    const gridPos = { h: p.h, w: p.w, x, y };
    x += p.w;
    rowHeight = Math.max(rowHeight, p.h);
    if (x >= 24) {
      y += rowHeight;
      x = 0;
      rowHeight = 0;
    }
    return { id: i + 1, gridPos, ...p.panel };
  });
}

export interface DashboardOptions {
  uid: string;
  title: string;
  description: string;
  panels: PendingPanel[];
  annotations?: JsonObject[];
  links?: JsonObject[];
  refresh?: string;
  from?: string;
  /** Template variables after the datasource variable (`app`, `instance`, ...). */
  variables?: JsonObject[];
}

/** A complete dashboard, ready for a Grafana file provider. */
export function dashboard(o: DashboardOptions): JsonObject {
  const panels = layout(o.panels);
  return {
    ...importHeader(panels.map((p) => String(p['type'])).filter((t) => t !== 'row')),
    annotations: { list: o.annotations ?? [] },
    description: o.description,
    editable: true,
    fiscalYearStartMonth: 0,
    graphTooltip: 1,
    id: null,
    links: o.links ?? [],
    panels,
    refresh: o.refresh ?? '30s',
    schemaVersion: SCHEMA_VERSION,
    tags: [...DASHBOARD_TAGS],
    templating: { list: [datasourceVariable(), ...(o.variables ?? [])] },
    time: { from: o.from ?? 'now-6h', to: 'now' },
    timepicker: {},
    timezone: 'browser',
    title: o.title,
    uid: o.uid,
    version: 1,
    weekStart: '',
  };
}

/** A Prometheus annotation query drawn on every panel. */
export function annotation(name: string, expr: string, iconColor: string, titleFormat: string): JsonObject {
  return {
    datasource: { ...DATASOURCE },
    enable: true,
    expr: scoped(expr),
    hide: false,
    iconColor,
    name,
    step: '60s',
    tagKeys: '',
    textFormat: '',
    titleFormat,
    useValueForTime: false,
  };
}

/** A link to another dashboard of this set, by uid. */
export function dashboardLink(title: string, uid: string): JsonObject {
  return {
    asDropdown: false,
    icon: 'dashboard',
    includeVars: true,
    keepTime: true,
    tags: [],
    targetBlank: false,
    title,
    tooltip: '',
    type: 'link',
    url: `/d/${uid}`,
  };
}

/** "Worker restarts by reason": on both dashboards, so built once. */
export function workerRestartsPanel(extra: Partial<TimeseriesOptions> = {}): PendingPanel {
  return timeseries({
    title: 'Worker restarts by reason',
    description: 'Workers replaced by the primary in each 15-minute window, by reason: exit, crash, recycled, timeout.',
    queries: [{ expr: `sum by (reason) (increase(${WORKER_RESTARTS_TOTAL}[15m]))`, legend: '{{reason}}' }],
    drawStyle: 'bars',
    fillOpacity: 60,
    stacking: true,
    decimals: 0,
    ...extra,
  });
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as defs from '../../src/metrics/metric-definitions.js';
import * as names from '../../src/metrics/metric-names.js';
import { renderRulesYaml, RULE_GROUPS } from '../../prometheus/rules.js';
import { invalidPromQL, ROOT } from './promtool.js';

const DOCS = readFileSync(join(ROOT, 'docs/metrics.md'), 'utf8');

/** Every exported string constant of metric-names.ts that is a transit metric name. */
const exportedMetricNames = Object.values(names).filter(
  (v: unknown): v is string => typeof v === 'string' && v.startsWith('transit_'),
);

const EXPECTED = [
  'transit_socket_connections',
  'transit_socket_connects_total',
  'transit_socket_disconnects_total',
  'transit_socket_reconnects_total',
  'transit_polling_requests_total',
  'transit_session_unknown_total',
  'transit_socket_limited_total',
  'transit_http_rate_limited_total',
  'transit_engine_connection_errors_total',
  'transit_sessions_lost_total',
  'transit_upstream_requests_total',
  'transit_upstream_request_duration_seconds',
  'transit_poller_active',
  'transit_demand_viewers',
  'transit_agency_viewers',
  'transit_agency_polled',
  'transit_snapshot_age_seconds',
  'transit_broadcast_duration_seconds',
  'transit_router_refused_total',
  'transit_router_open_connections',
  'transit_router_handoffs_pending',
  'transit_worker_restarts_total',
  'transit_poll_interval_seconds',
  'transit_upstream_daily_budget',
  'transit_feeds',
  'transit_upstream_budget_per_hour',
  'transit_poll_effective_interval_seconds',
  'transit_upstream_budget_deferred_total',
  'transit_upstream_unauthorized',
  'transit_coordination_messages_dropped_total',
  'transit_build_info',
  'transit_settings_info',
];

describe('src/metrics/metric-names.ts', () => {
  it('exports exactly the agreed metric names, each once, all in METRIC_DEFINITIONS', () => {
    expect([...exportedMetricNames].sort()).toEqual([...EXPECTED].sort());
    expect([...defs.ALL_METRIC_NAMES].sort()).toEqual([...EXPECTED].sort());
    expect(new Set(defs.ALL_METRIC_NAMES).size).toBe(defs.ALL_METRIC_NAMES.length);
  });

  it('names follow Prometheus conventions (counters _total, histograms _seconds, valid characters)', () => {
    const types = new Set(defs.METRIC_DEFINITIONS.map((d) => d.type));
    expect([...types].sort()).toEqual(['counter', 'gauge', 'histogram']); // every rule below is exercised
    for (const d of defs.METRIC_DEFINITIONS) {
      expect(d.name).toMatch(/^transit_[a-z0-9_]+$/);
      expect(d.name.endsWith('_total'), `${d.name}: _total exactly when a counter`).toBe(d.type === 'counter');
      expect(d.type !== 'histogram' || (d.name.endsWith('_seconds') && d.buckets !== undefined), `${d.name}: a histogram in seconds, with buckets`).toBe(true);
      expect(d.help.length).toBeGreaterThan(10);
      for (const l of d.labelNames) expect(l).toMatch(/^[a-z_][a-z0-9_]*$/);
    }
  });

  it('histogram buckets are strictly increasing and frozen', () => {
    for (const b of [defs.UPSTREAM_DURATION_BUCKETS, defs.BROADCAST_DURATION_BUCKETS]) {
      expect(b.length).toBeGreaterThan(5);
      b.forEach((v, i) => i > 0 && expect(v).toBeGreaterThan(b[i - 1]!));
      expect(Object.isFrozen(b)).toBe(true);
    }
    const upstream = defs.METRIC_DEFINITIONS.find((d) => d.name === names.UPSTREAM_REQUEST_DURATION_SECONDS)!;
    expect(upstream.buckets).toBe(defs.UPSTREAM_DURATION_BUCKETS);
    const broadcast = defs.METRIC_DEFINITIONS.find((d) => d.name === names.BROADCAST_DURATION_SECONDS)!;
    expect(broadcast.buckets).toBe(defs.BROADCAST_DURATION_BUCKETS);
  });

  it('lists the engine.io error messages and the label values of the brief', () => {
    expect(names.ENGINE_ERROR_MESSAGES['1']).toBe('Session ID unknown');
    expect(Object.keys(names.ENGINE_ERROR_MESSAGES)).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(names.SESSION_LOST_CAUSES).toEqual(['worker_recycled', 'worker_died', 'worker_timeout', 'shutdown']);
    expect(names.UPSTREAM_OUTCOMES).toEqual(['ok', 'http_error', 'timeout', 'network', 'malformed', 'empty', 'rate_limited', 'unauthorized']);
    expect(names.WORKER_RESTART_REASONS).toEqual(['exit', 'crash', 'recycled', 'timeout']);
    expect(names.TRANSPORTS).toEqual(['polling', 'websocket']);
    expect(names.SESSION_UNKNOWN_CAUSES).toEqual(['misrouted', 'ended', 'unknown']);
  });
});

describe('docs/metrics.md', () => {
  it.each(EXPECTED)('documents %s with a heading, its type and a PromQL example', (name) => {
    const section = DOCS.split(/^#### /m).find((s) => s.startsWith(`\`${name}\``));
    expect(section, `no "#### \`${name}\`" section`).toBeDefined();
    const def = defs.METRIC_DEFINITIONS.find((d) => d.name === name)!;
    expect(section).toContain(`**Type:** ${def.type}`);
    for (const l of def.labelNames) expect(section).toContain(`\`${l}\``);
    expect(section).toMatch(/\*\*Answers:\*\*/);
    expect(section).toMatch(/\*\*PromQL[^*]*:\*\*\s*`[^`]*\(/);
  });

  it('documents every cause of transit_session_unknown_total, its header, and what to alert on', () => {
    const section = DOCS.split(/^#### /m).find((s) => s.startsWith('`transit_session_unknown_total`'))!;
    for (const cause of names.SESSION_UNKNOWN_CAUSES) expect(section).toMatch(new RegExp(`\\| \`${cause}\` \\|`));
    for (const t of names.TRANSPORTS) expect(section).toContain(`\`${t}\``);
    expect(section).toContain('`x-transit-session`');
    expect(section).toMatch(/\*\*What to alert on:\*\*[^\n]*`cause="misrouted"`/);
    expect(section).toContain('`SessionMisrouted`');
    expect(section).toContain('`PollingSessionErrors`');
    // The polling-requests section no longer offers plain 400s as the failure signal.
    const polling = DOCS.split(/^#### /m).find((s) => s.startsWith('`transit_polling_requests_total`'))!;
    expect(polling).not.toContain('polling_400_ratio');
  });

  it('documents every recording rule and alert', () => {
    for (const g of RULE_GROUPS)
      for (const r of g.rules) expect(DOCS).toContain(`\`${'record' in r ? r.record : r.alert}\``);
  });

  it('documents each alert with its actual condition, for and severity', () => {
    for (const g of RULE_GROUPS)
      for (const r of g.rules) {
        if (!('alert' in r)) continue;
        const rowText = DOCS.split('\n').find((l) => l.startsWith(`| \`${r.alert}\``));
        expect(rowText, r.alert).toBeDefined();
        expect(rowText).toContain(`\`${r.expr.replace(/\s*\n\s*/g, ' ')}\``);
        expect(rowText).toContain(`| ${r.for} |`);
        expect(rowText).toContain(`| ${r.labels!['severity']} |`);
      }
  });

  it('every PromQL example in the docs is valid PromQL', () => {
    // Inside a table, a code span escapes its pipes as \| (GFM); PromQL sees a plain |.
    const spans = [...DOCS.matchAll(/`([^`\n]+)`/g)]
      .map((m) => m[1]!.replaceAll('\\|', '|'))
      .filter((s) => /\(/.test(s) && /\b(transit[_:]|nodejs_|process_)/.test(s));
    expect(spans.length).toBeGreaterThan(20);
    const bad = invalidPromQL(
      spans.map((expr, i) => ({ source: `docs span ${i}`, expr })),
      renderRulesYaml,
    );
    expect(bad, JSON.stringify(bad, null, 2)).toEqual([]);
  });
});

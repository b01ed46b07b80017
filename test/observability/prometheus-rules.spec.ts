import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseDocument, type YAMLMap, type YAMLSeq } from 'yaml';
import {
  buildRulesYaml,
  parseRuleExpressions,
  renderRulesYaml,
  ruleExpressions,
  RULE_GROUPS,
  SCRAPE_JOB,
  type AlertingRule,
  type RuleGroup,
} from '../../prometheus/rules.js';
import { ruleQueries } from '../../dashboards/generate.js';
import { METRIC_DEFINITIONS } from '../../src/metrics/metric-definitions.js';
import { labelNamesIn, metricNamesIn } from './promql.js';
import { promtool, promtoolAsync, ROOT, withTempDirAsync, writeFiles } from './promtool.js';

const RULES = join(ROOT, 'prometheus/rules.yml');
const RULES_TEST = join(ROOT, 'prometheus/rules.test.yml');

const ALERTS = [
  'SessionMisrouted',
  'PollingSessionErrors',
  'PollerActiveWithoutViewers',
  'UpstreamOverBudget',
  'UpstreamUnauthorized',
  'SessionsLostSpike',
  'SnapshotStale',
  'TargetDown',
  'MetricsAbsent',
];
/** Labels Prometheus adds to every scraped series (the rules group and match on them). */
const TARGET_LABELS = ['job', 'instance'];
const RECORDS = [
  'transit:upstream_calls_per_day',
  'transit:polling_misrouted_or_unknown_ratio:rate5m',
  'transit:upstream_always_on_calls_per_day',
];
const RATIO = 'transit:polling_misrouted_or_unknown_ratio:rate5m';

const alerts = (): AlertingRule[] => RULE_GROUPS.flatMap((g) => g.rules.filter((r): r is AlertingRule => 'alert' in r));

/** RULE_GROUPS with one alert's expression replaced. */
function withAlertExpr(alert: string, expr: string): RuleGroup[] {
  return RULE_GROUPS.map((g) => ({
    ...g,
    rules: g.rules.map((r) => ('alert' in r && r.alert === alert ? { ...r, expr } : r)),
  }));
}

/** RULE_GROUPS with one recording rule's expression replaced. */
function withRecordExpr(record: string, expr: string): RuleGroup[] {
  return RULE_GROUPS.map((g) => ({
    ...g,
    rules: g.rules.map((r) => ('record' in r && r.record === record ? { ...r, expr } : r)),
  }));
}

/** Failed alert cases of a `promtool test rules` run: alert name, and whether it expected no alerts. */
function failedAlertCases(output: string): { alert: string; expectedQuiet: boolean; gotNone: boolean }[] {
  return output
    .split(/\n\s+name: /)
    .slice(1)
    .flatMap((block) => {
      const m = /alertname: (\w+), time: [^,]+,\s*exp:(\[\]|\[)/.exec(block);
      if (!m) return [];
      return [{ alert: m[1]!, expectedQuiet: m[2] === '[]', gotNone: /got:\[\]/.test(block) }];
    });
}

/**
 * rules.test.yml with only the test groups that check `alert` (an alert_rule_test of that
 * alertname): the cases a mutation of that alert can fail, without promtool evaluating the rest.
 */
function ruleTestsOf(alert: string): string {
  const doc = parseDocument(readFileSync(RULES_TEST, 'utf8'));
  const tests = doc.get('tests') as YAMLSeq<YAMLMap>;
  tests.items = tests.items.filter((t) => (t.toJSON() as { alert_rule_test?: { alertname: string }[] }).alert_rule_test?.some((a) => a.alertname === alert));
  if (tests.items.length === 0) throw new Error(`rules.test.yml has no test group for ${alert}`);
  return doc.toString();
}

/** Runs rules.test.yml (or only the groups that check `onlyAlert`) against a rules file rendered from `groups`. */
function runRuleTests(groups: RuleGroup[], onlyAlert?: string): Promise<{ status: number; output: string }> {
  return withTempDirAsync((dir) => {
    writeFiles(dir, { 'rules.yml': renderRulesYaml(groups), 'rules.test.yml': onlyAlert ? ruleTestsOf(onlyAlert) : readFileSync(RULES_TEST, 'utf8') });
    return promtoolAsync('test', 'rules', join(dir, 'rules.test.yml'));
  });
}

describe('prometheus/rules.yml', () => {
  it('passes promtool check rules', () => {
    const r = promtool('check', 'rules', RULES);
    expect(r.output, r.output).toContain(`SUCCESS: ${RECORDS.length + ALERTS.length} rules found`);
    expect(r.status, r.output).toBe(0);
  });

  it('passes its unit tests (promtool test rules prometheus/rules.test.yml)', () => {
    const r = promtool('test', 'rules', RULES_TEST);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain('SUCCESS');
  });

  it('is exactly what prometheus/rules.ts generates', () => {
    expect(readFileSync(RULES, 'utf8')).toBe(buildRulesYaml());
  });

  it('defines the recording rules and alerts by their exact names', () => {
    const records = RULE_GROUPS.flatMap((g) => g.rules.flatMap((r) => ('record' in r ? [r.record] : [])));
    expect(records).toEqual(RECORDS);
    expect(alerts().map((a) => a.alert)).toEqual(ALERTS);
  });

  it('gives every alert a severity, a summary, a description with what to do, and a for', () => {
    for (const a of alerts()) {
      expect(['critical', 'warning', 'info'], a.alert).toContain(a.labels?.['severity']);
      expect(a.annotations?.['summary'], a.alert).toBeTruthy();
      expect(a.annotations?.['description'], a.alert).toMatch(/What to do:/);
      expect(a.for, a.alert).toMatch(/^\d+[smh]$/);
    }
  });

  it('reads back the same expressions from rules.yml as rules.ts defines (ruleQueries)', () => {
    expect(ruleQueries()).toEqual(ruleExpressions());
    expect(parseRuleExpressions(buildRulesYaml())).toEqual(ruleExpressions());
    expect(ruleQueries()).toHaveLength(RECORDS.length + ALERTS.length);
  });

  it('refers only to metrics of metric-names.ts, its own recording rules, `up`, and their labels', () => {
    const defs = new Map(METRIC_DEFINITIONS.map((d) => [d.name, d]));
    for (const q of ruleQueries()) {
      const labels = new Set<string>(TARGET_LABELS);
      for (const name of metricNamesIn(q.expr)) {
        if (RECORDS.includes(name) || name === 'up') continue;
        const def = defs.get(name);
        expect(def, `${q.source}: unknown metric ${name}`).toBeDefined();
        def!.labelNames.forEach((l) => labels.add(l));
      }
      for (const l of labelNamesIn(q.expr)) expect([...labels], `${q.source}: label ${l}`).toContain(l);
    }
  });

  // Mutation checks: promtool runs take seconds each, so these run concurrently, each on the
  // test groups of the mutated alert only (the failed cases they look at are that alert's).
  describe.concurrent.each(ALERTS)('the unit tests of %s', (alert) => {
    it('include a case where it must fire (an alert that never fires fails them)', async () => {
      const r = await runRuleTests(withAlertExpr(alert, 'vector(1) < 0'), alert);
      expect(r.status, r.output).not.toBe(0);
      const failed = failedAlertCases(r.output).filter((c) => c.alert === alert);
      expect(failed.some((c) => !c.expectedQuiet && c.gotNone), r.output).toBe(true);
    });

    it('include a case where it must stay quiet (an alert that always fires fails them)', async () => {
      const r = await runRuleTests(withAlertExpr(alert, 'vector(1)'), alert);
      expect(r.status, r.output).not.toBe(0);
      const failed = failedAlertCases(r.output).filter((c) => c.alert === alert);
      expect(failed.some((c) => c.expectedQuiet), r.output).toBe(true);
    });
  });

  describe.concurrent('session alerts key on transit_session_unknown_total{cause=~"misrouted|unknown"}', () => {
    it('no rule reads polling 400s (status="400") any more, and every session_unknown selector names its causes', () => {
      for (const q of ruleExpressions()) {
        expect(q.expr, q.source).not.toMatch(/status\s*=~?\s*"4/);
        for (const m of q.expr.matchAll(/transit_session_unknown_total(\{[^}]*\})?/g)) {
          expect(m[1] ?? '', q.source).toMatch(/cause(="misrouted"|=~"misrouted\|unknown")/);
        }
      }
    });

    it('the unit tests reject a ratio of every polling 400 (ended included)', async () => {
      const old = 'sum(rate(transit_polling_requests_total{status="400"}[5m])) / sum(rate(transit_polling_requests_total[5m]))';
      const r = await runRuleTests(withRecordExpr(RATIO, old));
      expect(r.status, r.output).not.toBe(0);
      expect(r.output).toContain('ended 400s alone fire neither SessionMisrouted nor PollingSessionErrors');
    });

    it('the unit tests reject a ratio that leaves misrouted out, or counts websocket upgrades against polling', async () => {
      const unknownOnly = await runRuleTests(
        withRecordExpr(RATIO, 'sum(rate(transit_session_unknown_total{cause="unknown",transport="polling"}[5m])) / sum(rate(transit_polling_requests_total[5m]))'),
      );
      expect(unknownOnly.status, unknownOnly.output).not.toBe(0);
      expect(unknownOnly.output).toContain('PollingSessionErrors counts misrouted and unknown together');
      const anyTransport = await runRuleTests(
        withRecordExpr(RATIO, 'sum(rate(transit_session_unknown_total{cause=~"misrouted|unknown"}[5m])) / sum(rate(transit_polling_requests_total[5m]))'),
      );
      expect(anyTransport.status, anyTransport.output).not.toBe(0);
      expect(anyTransport.output).toContain('PollingSessionErrors ignores unknown websocket upgrades');
    });

    it('the unit tests reject a SessionMisrouted that counts ended or unknown answers', async () => {
      const r = await runRuleTests(withAlertExpr('SessionMisrouted', 'sum(increase(transit_session_unknown_total[5m])) > 0'));
      expect(r.status, r.output).not.toBe(0);
      const failed = failedAlertCases(r.output).filter((c) => c.alert === 'SessionMisrouted');
      expect(failed.some((c) => c.expectedQuiet), r.output).toBe(true);
      expect(r.output).toContain('ended 400s alone fire neither SessionMisrouted nor PollingSessionErrors');
    });

    it('the unit tests reject a SessionMisrouted with a threshold above 0 (one misroute must fire)', async () => {
      const r = await runRuleTests(withAlertExpr('SessionMisrouted', 'sum(increase(transit_session_unknown_total{cause="misrouted"}[5m])) > 5'));
      expect(r.status, r.output).not.toBe(0);
      expect(r.output).toContain('SessionMisrouted fires on a single misrouted request');
    });
  });

  /** prometheus/prometheus.yml, parsed: the pieces these checks read. */
  const promConfig = () =>
    parse(readFileSync(join(ROOT, 'prometheus/prometheus.yml'), 'utf8')) as {
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };

  it('the scrape job TargetDown and MetricsAbsent select on is the job of prometheus/prometheus.yml', () => {
    expect(promConfig().scrape_configs.map((j) => j.job_name)).toEqual([SCRAPE_JOB]);
    for (const a of alerts().filter((r) => /\bup\b|absent\(/.test(r.expr))) expect(a.expr, a.alert).toContain(`job="${SCRAPE_JOB}"`);
  });

  it('prometheus/prometheus.yml is a valid config that scrapes app:9091 and loads rules.yml', () => {
    const r = promtool('check', 'config', join(ROOT, 'prometheus/prometheus.yml'));
    expect(r.status, r.output).toBe(0);
    const config = promConfig();
    expect(config.scrape_configs.flatMap((j) => j.static_configs.flatMap((s) => s.targets))).toEqual(['app:9091']);
    expect(config.rule_files).toEqual(['rules.yml']);
  });
});

describe('promtool helper', () => {
  it('fails (does not skip) with the Debian package name when promtool is missing', () => {
    const saved = process.env['PROMTOOL'];
    process.env['PROMTOOL'] = '/nonexistent/promtool';
    try {
      expect(() => promtool('--version')).toThrow(/Debian package `prometheus`/);
    } finally {
      if (saved === undefined) delete process.env['PROMTOOL'];
      else process.env['PROMTOOL'] = saved;
    }
  });
});

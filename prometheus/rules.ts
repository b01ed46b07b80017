/**
 * Source of `prometheus/rules.yml`: Transit Tracker's recording rules and alerts.
 *
 * The YAML is generated from this module (with the `yaml` package) and committed; a spec
 * checks that the committed file equals what this module renders. Regenerate with
 *   node dashboards/generate.ts      (rules.yml and the dashboards)
 *   node prometheus/rules.ts         (rules.yml only)
 *
 * Erasable TypeScript only (runs under Node's type stripping): no enums, no namespaces,
 * no parameter properties; relative imports carry their `.ts` extension.
 */
import { readFileSync, writeFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Document, parse } from 'yaml';
import {
  BUILD_INFO,
  DEMAND_VIEWERS,
  FEEDS,
  POLL_EFFECTIVE_INTERVAL_SECONDS,
  POLL_INTERVAL_SECONDS,
  POLLER_ACTIVE,
  POLLING_REQUESTS_TOTAL,
  SESSION_UNKNOWN_TOTAL,
  SESSIONS_LOST_TOTAL,
  SNAPSHOT_AGE_SECONDS,
  SOCKET_CONNECTIONS,
  UPSTREAM_DAILY_BUDGET,
  UPSTREAM_REQUESTS_TOTAL,
  UPSTREAM_UNAUTHORIZED,
} from '../src/metrics/metric-names.ts';

// ---------------------------------------------------------------------------------------
// Rule model
// ---------------------------------------------------------------------------------------

export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}

export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export type Rule = RecordingRule | AlertingRule;

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: Rule[];
}

// ---------------------------------------------------------------------------------------
// Names and thresholds (dashboards import these so panels and alerts agree)
// ---------------------------------------------------------------------------------------

/** Projected upstream calls per day from the last hour's call rate. */
export const UPSTREAM_CALLS_PER_DAY = 'transit:upstream_calls_per_day';
/**
 * Share of Engine.IO long-polling responses over 5 minutes that were 400 "Session ID unknown"
 * for a `misrouted` or `unknown` session id. `ended` sessions (the protocol's correct answer after
 * a ping timeout, a client close or a recycled worker) are left out: they are expected.
 */
export const POLLING_MISROUTED_OR_UNKNOWN_RATIO = 'transit:polling_misrouted_or_unknown_ratio:rate5m';
/** Calls per day an always-on poller would make: 86400 / poll interval × feeds. */
export const UPSTREAM_ALWAYS_ON_CALLS_PER_DAY = 'transit:upstream_always_on_calls_per_day';

/** PollingSessionErrors fires above this share of misrouted-or-unknown 400 polling responses. */
export const POLLING_MISROUTED_OR_UNKNOWN_RATIO_THRESHOLD = 0.05;
/** `cause` values of transit_session_unknown_total that are a fault (alerts key on them); `ended` is not. */
export const SESSION_UNKNOWN_FAULT_CAUSES = ['misrouted', 'unknown'] as const;
/** SnapshotStale fires when the snapshot is older than this many (effective) poll intervals. */
export const SNAPSHOT_STALE_INTERVALS = 3;
/**
 * SessionsLostSpike fires when the sessions lost in 5 minutes (shutdown excluded) exceed this
 * share of the most connections held in the last 15 minutes: more than one worker's clients of
 * two, two workers' of four. One recycle of one of two workers (half the sessions) stays quiet.
 */
export const SESSIONS_LOST_SPIKE_SHARE = 0.5;
/** ... and at least this many sessions, so a handful of test clients never pages anyone. */
export const SESSIONS_LOST_SPIKE_MIN = 10;
/**
 * The scrape job of prometheus/prometheus.yml. TargetDown and MetricsAbsent select on it, so a
 * Prometheus that scrapes other services too only judges this one's targets.
 */
export const SCRAPE_JOB = 'transit-tracker';

export const ALERT_SESSION_MISROUTED = 'SessionMisrouted';
export const ALERT_POLLING_SESSION_ERRORS = 'PollingSessionErrors';
export const ALERT_POLLER_ACTIVE_WITHOUT_VIEWERS = 'PollerActiveWithoutViewers';
export const ALERT_UPSTREAM_OVER_BUDGET = 'UpstreamOverBudget';
export const ALERT_UPSTREAM_UNAUTHORIZED = 'UpstreamUnauthorized';
export const ALERT_SESSIONS_LOST_SPIKE = 'SessionsLostSpike';
export const ALERT_SNAPSHOT_STALE = 'SnapshotStale';
export const ALERT_TARGET_DOWN = 'TargetDown';
export const ALERT_METRICS_ABSENT = 'MetricsAbsent';

/** PromQL shared by the rules and the dashboards. */
export const EXPR = {
  /**
   * rate() over 1 h × 86400 (the same as increase(...[1h]) × 24). One hour because
   * 511.org's limit is 60 calls per hour: this is over 1440 exactly when the last hour
   * was over 60 calls. rate() also copes with counter resets on restarts.
   */
  upstreamCallsPerDay: `sum(rate(${UPSTREAM_REQUESTS_TOTAL}[1h])) * 86400`,
  /**
   * Polling 400 "Session ID unknown" answers for a misrouted or never-issued sid ÷ all
   * long-polling responses (which count those 400s too). `ended` is left out: since the
   * worker answers closed sessions with that 400 (Engine.IO v4), plain `status="400"` is
   * non-zero in healthy operation around recycles. `transport="polling"` because the
   * denominator counts polling requests only. No polling traffic: 0/0 = NaN, never alerts.
   */
  pollingMisroutedOrUnknownRatio:
    `sum(rate(${SESSION_UNKNOWN_TOTAL}{cause=~"${SESSION_UNKNOWN_FAULT_CAUSES.join('|')}",transport="polling"}[5m]))\n` +
    `/\n` +
    `sum(rate(${POLLING_REQUESTS_TOTAL}[5m]))`,
  /** Misrouted answers (any transport) in 5 minutes: the seed's bug, must stay 0. */
  sessionMisrouted5m: `sum(increase(${SESSION_UNKNOWN_TOTAL}{cause="misrouted"}[5m]))`,
  /** max(): config gauges are the same in every process; max() also drops instance labels. */
  upstreamAlwaysOnCallsPerDay: `86400 / max(${POLL_INTERVAL_SECONDS}) * max(${FEEDS})`,
  upstreamDailyBudget: `max(${UPSTREAM_DAILY_BUDGET})`,
  pollerActive: `max(${POLLER_ACTIVE})`,
  demandViewers: `sum(${DEMAND_VIEWERS})`,
  snapshotAge: `max(${SNAPSHOT_AGE_SECONDS})`,
  /** The interval the poller really uses (POLL_INTERVAL_MS stretched by the upstream budget). */
  snapshotStaleThreshold: `${SNAPSHOT_STALE_INTERVALS} * max(${POLL_EFFECTIVE_INTERVAL_SECONDS})`,
  sessionsLost5m: `sum(increase(${SESSIONS_LOST_TOTAL}{cause!="shutdown"}[5m]))`,
  /** Most clients connected at once in the last 15 minutes (before a loss took them away). */
  connectionsPeak15m: `max_over_time(sum(${SOCKET_CONNECTIONS})[15m:1m])`,
} as const;

// ---------------------------------------------------------------------------------------
// The rules
// ---------------------------------------------------------------------------------------

export const RULE_GROUPS: RuleGroup[] = [
  {
    name: 'transit-recording',
    rules: [
      { record: UPSTREAM_CALLS_PER_DAY, expr: EXPR.upstreamCallsPerDay },
      { record: POLLING_MISROUTED_OR_UNKNOWN_RATIO, expr: EXPR.pollingMisroutedOrUnknownRatio },
      { record: UPSTREAM_ALWAYS_ON_CALLS_PER_DAY, expr: EXPR.upstreamAlwaysOnCallsPerDay },
    ],
  },
  {
    name: 'transit-alerts',
    rules: [
      {
        alert: ALERT_SESSION_MISROUTED,
        expr: `${EXPR.sessionMisrouted5m} > 0`,
        for: '1m',
        labels: { severity: 'critical' },
        annotations: {
          summary: '{{ $value | printf "%.0f" }} requests reached a worker that does not own their live session (5m)',
          description:
            'transit_session_unknown_total{cause="misrouted"} grew: a polling request or websocket upgrade named ' +
            'a session that is live on another worker and was answered 400 "Session ID unknown". This is the ' +
            "seed system's bug; it must stay 0 (one is enough to fire, and the alert clears 5 minutes after the last).\n" +
            'What to do: sticky routing is broken. Confirm STICKY=true and that the primary (or the load balancer) ' +
            'routes every sid to the worker that owns it; look at "Session ID unknown by cause" by transport and at ' +
            'the primary logs for routing-table changes around worker restarts. As a stop-gap set WEB_CONCURRENCY=1 ' +
            'or TRANSPORTS=websocket. Never run several workers with polling and ALLOW_UNSAFE_TOPOLOGY=true.',
        },
      },
      {
        alert: ALERT_POLLING_SESSION_ERRORS,
        expr: `${POLLING_MISROUTED_OR_UNKNOWN_RATIO} > ${POLLING_MISROUTED_OR_UNKNOWN_RATIO_THRESHOLD}`,
        for: '5m',
        labels: { severity: 'critical' },
        annotations: {
          summary: 'Socket.IO long-polling: {{ $value | humanizePercentage }} of responses are 400 for a misrouted or unknown session id',
          description:
            `More than ${POLLING_MISROUTED_OR_UNKNOWN_RATIO_THRESHOLD * 100}% of Engine.IO long-polling responses have been ` +
            '400 "Session ID unknown" with cause misrouted or unknown for 5 minutes (cause ended, a session the ' +
            'service closed, is expected around recycles and is not counted). Clients are stuck in a reconnect loop.\n' +
            'What to do: check "Session ID unknown by cause". misrouted: see SessionMisrouted (sticky routing). ' +
            'unknown (ids this deployment never issued): look for a proxy or CDN that rewrites, truncates or caches ' +
            'the sid query or polling responses, for clients pinned to another machine (several instances without ' +
            'fly-replay), and for forged or scripted requests in the access logs (x-transit-session: unknown).',
        },
      },
      {
        alert: ALERT_POLLER_ACTIVE_WITHOUT_VIEWERS,
        expr: `${EXPR.pollerActive} > 0\nand on()\n${EXPR.demandViewers} == 0`,
        for: '5m',
        labels: { severity: 'warning' },
        annotations: {
          summary: 'Upstream poller has been running for 5 minutes with no viewers',
          description:
            'transit_poller_active is 1 while transit_demand_viewers is 0, for far longer than DEMAND_GRACE_MS. ' +
            'The poller spends upstream budget that nobody sees.\n' +
            'What to do: look for leaked demand (viewers that never unregistered, a worker that died ' +
            'without releasing its demand, a stuck grace timer) in the logs of the primary; compare with the ' +
            '"Upstream calls per day" panel. Restarting the service releases the demand; file a bug with the logs.',
        },
      },
      {
        alert: ALERT_UPSTREAM_OVER_BUDGET,
        expr: `${UPSTREAM_CALLS_PER_DAY} > on() ${EXPR.upstreamDailyBudget}`,
        for: '10m',
        labels: { severity: 'critical' },
        annotations: {
          summary: 'Upstream calls are on pace for {{ $value | printf "%.0f" }}/day, over the daily budget',
          description:
            'The last hour of upstream calls, projected to a day (transit:upstream_calls_per_day), exceeds ' +
            'transit_upstream_daily_budget (511.org allows 60 calls/hour = 1440/day; beyond it the API key is ' +
            'throttled or revoked).\n' +
            'What to do: check PollerActiveWithoutViewers and the "Poller active vs viewers" panel (demand gating), ' +
            'count pollers (only one process may poll: several means leadership is broken), and check for retry ' +
            'storms in "Upstream requests by outcome". Raising POLL_INTERVAL_MS lowers the rate: ' +
            '86400 / interval × feeds must stay under the budget while someone watches.',
        },
      },
      {
        alert: ALERT_UPSTREAM_UNAUTHORIZED,
        // A refused key does not heal by itself: the poller only probes every 15 minutes.
        expr: `max by (instance) (${UPSTREAM_UNAUTHORIZED}) == 1`,
        for: '2m',
        labels: { severity: 'critical' },
        annotations: {
          summary: 'Upstream refuses the API key on {{ $labels.instance }}: no new vehicle data',
          description:
            'The upstream answered 401/403 to the last poll of this instance (transit_upstream_unauthorized = 1): ' +
            'the 511.org token in FEED_API_KEY is wrong, expired or revoked. The poller stopped and probes once every ' +
            '15 minutes; viewers see the last good snapshot, getting older (X-Data-Age-Seconds, /readyz dataAgeSeconds).\n' +
            'What to do: read the primary log line event=upstream_unauthorized; check the token at ' +
            'https://511.org/open-data/token (request a new one if needed) and set it with ' +
            '`fly secrets set FEED_API_KEY=<token>` (this restarts the machines and clears the state). ' +
            'The alert resolves at the first accepted probe.',
        },
      },
      {
        alert: ALERT_SESSIONS_LOST_SPIKE,
        expr:
          `${EXPR.sessionsLost5m}\n> ${SESSIONS_LOST_SPIKE_SHARE} * ${EXPR.connectionsPeak15m}\n` +
          `and\n${EXPR.sessionsLost5m} >= ${SESSIONS_LOST_SPIKE_MIN}`,
        for: '1m',
        labels: { severity: 'warning' },
        annotations: {
          summary: '{{ $value | printf "%.0f" }} Socket.IO sessions lost to worker restarts in 5 minutes',
          description:
            `More than ${SESSIONS_LOST_SPIKE_SHARE * 100} % of the most clients connected in the last 15 minutes (and at least ` +
            `${SESSIONS_LOST_SPIKE_MIN}) lost their session in 5 minutes because their worker was recycled, died or timed out ` +
            '(planned shutdown excluded): more than one worker of two went away with its clients. Clients reconnect, but ' +
            'each loss is a visible gap.\n' +
            'What to do: see "Worker restarts by reason". crash/worker_died: read the worker logs for the ' +
            'exception or OOM; timeout/worker_timeout: a blocked event loop (check event-loop lag) or ' +
            'WORKER_TIMEOUT_MS too low; recycled/worker_recycled: MAX_SESSIONS_PER_WORKER near the sessions one ' +
            'worker holds (each recycle re-counts them elsewhere), MAX_WORKER_RSS_MB below what a worker needs, or ' +
            'MIN_WORKER_LIFETIME_MS too short (README "Worker recycling").',
        },
      },
      {
        alert: ALERT_SNAPSHOT_STALE,
        // Per instance: a follower (an instance that does not poll, with REDIS_URL) serves the
        // leader's snapshots, and its age is theirs; it fires only when its own data is old.
        expr:
          `max by (instance) (${SNAPSHOT_AGE_SECONDS})\n> on (instance)\n` +
          `${SNAPSHOT_STALE_INTERVALS} * max by (instance) (${POLL_EFFECTIVE_INTERVAL_SECONDS})\n` +
          `and on ()\n${EXPR.pollerActive} > 0`,
        for: '2m',
        labels: { severity: 'warning' },
        annotations: {
          summary: 'Vehicle snapshot on {{ $labels.instance }} is {{ $value | humanizeDuration }} old while the poller runs',
          description:
            `The newest snapshot of this instance is older than ${SNAPSHOT_STALE_INTERVALS} poll intervals (the effective interval, ` +
            'after the upstream budget) although a poller of the deployment is active: its viewers see frozen vehicles. ' +
            'An instance that does not poll (a follower) takes the leader\'s snapshots and their age, so it fires only ' +
            'when it stops receiving them (check Redis and the coordination logs of that instance).\n' +
            'What to do: check "Upstream requests by outcome" (timeout, http_error, network, malformed, empty) and ' +
            'the upstream latency panel; verify FEED_URL and the API key, and that FEED_TIMEOUT_MS is below ' +
            'POLL_INTERVAL_MS. If upstream calls are ok, the poller loop itself is stuck: restart the service ' +
            'and file a bug with the primary logs.',
        },
      },
      {
        alert: ALERT_TARGET_DOWN,
        expr: `up{job="${SCRAPE_JOB}"} == 0`,
        for: '2m',
        labels: { severity: 'critical' },
        annotations: {
          summary: 'Transit Tracker target {{ $labels.instance }} has not answered a scrape for 2 minutes',
          description:
            `Prometheus cannot scrape {{ $labels.instance }} (job ${SCRAPE_JOB}): the service is down, restarting in a loop, ` +
            'or its METRICS_PORT is unreachable. Nothing else alerts while it is down: its own series are gone.\n' +
            'What to do: check that the machine or container runs (fly status / docker compose ps) and its logs for the ' +
            'exit reason (exit 78 = a bad setting, exit 3 = workers failed to boot); that METRICS_HOST=0.0.0.0 where ' +
            'Prometheus scrapes from another host; and the target\'s last error on Prometheus\'s /targets page.',
        },
      },
      {
        alert: ALERT_METRICS_ABSENT,
        expr:
          `(\n  absent(${BUILD_INFO}{job="${SCRAPE_JOB}"})\n  or\n  absent(${SOCKET_CONNECTIONS}{job="${SCRAPE_JOB}"})\n)\n` +
          `unless on ()\nup{job="${SCRAPE_JOB}"} == 0`,
        for: '5m',
        labels: { severity: 'critical' },
        annotations: {
          summary: 'No Transit Tracker metrics in Prometheus for 5 minutes',
          description:
            `Prometheus has no ${BUILD_INFO} (the primary's metrics) or no ${SOCKET_CONNECTIONS} (the workers' metrics) ` +
            `from job ${SCRAPE_JOB}, and no target is down (that is TargetDown): there is no target at all (scrape ` +
            'config or service discovery lost it), the target answers but is not this service, or the primary ' +
            'serves /metrics without its workers. Every other alert is blind meanwhile.\n' +
            'What to do: look at Prometheus\'s /targets page for the job; check the scrape config (prometheus.yml, ' +
            'METRICS_PORT) and that /metrics of the service lists transit_socket_connections; if only the workers\' ' +
            'metrics are missing, read the primary logs for metrics collection timeouts.',
        },
      },
    ],
  },
];

// ---------------------------------------------------------------------------------------
// YAML rendering
// ---------------------------------------------------------------------------------------

/** Renders rule groups as a Prometheus rule file; multi-line PromQL and descriptions as `|-` block literals. */
export function renderRulesYaml(groups: RuleGroup[], header = ''): string {
  const doc = new Document({ groups });
  if (header) doc.commentBefore = header.split('\n').map((l) => (l ? ` ${l}` : '')).join('\n');
  return doc.toString({ lineWidth: 0, blockQuote: 'literal' });
}

const HEADER = [
  'GENERATED by prometheus/rules.ts — do not edit by hand.',
  'Regenerate: node dashboards/generate.ts (or node prometheus/rules.ts).',
  'Metrics and rules are documented in docs/metrics.md.',
].join('\n');

/** The content of prometheus/rules.yml. */
export function buildRulesYaml(): string {
  return renderRulesYaml(RULE_GROUPS, HEADER);
}

export const RULES_YML_URL = new URL('./rules.yml', import.meta.url);

/** Every expression of every rule, in file order, as `{ source, expr }`. */
export function ruleExpressions(groups: RuleGroup[] = RULE_GROUPS): { source: string; expr: string }[] {
  return groups.flatMap((g) =>
    g.rules.map((r) => ({
      source: `prometheus/rules.yml ${g.name} ${'record' in r ? `record ${r.record}` : `alert ${r.alert}`}`,
      expr: r.expr,
    })),
  );
}

/** Reads the expressions back out of a Prometheus rule file, labelled as {@link ruleExpressions} labels them. */
export function parseRuleExpressions(yaml: string): { source: string; expr: string }[] {
  return ruleExpressions((parse(yaml) as { groups: RuleGroup[] }).groups);
}

/** The expressions of the committed prometheus/rules.yml. */
export function readRuleExpressions(): { source: string; expr: string }[] {
  return parseRuleExpressions(readFileSync(RULES_YML_URL, 'utf8'));
}

/** Writes prometheus/rules.yml; returns its path. */
export function writeRulesYaml(): string {
  const path = fileURLToPath(RULES_YML_URL);
  writeFileSync(path, buildRulesYaml());
  return path;
}

/** True when the module at `moduleUrl` is the script node was started with. */
export function isMainModule(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

if (isMainModule(import.meta.url)) {
  console.log(`wrote ${writeRulesYaml()}`);
}

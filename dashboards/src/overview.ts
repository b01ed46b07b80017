/**
 * "Transit Tracker — Overview" (uid transit-overview): sessions, "Session ID unknown" 400s by
 * cause (misrouted = the multi-worker failure, ended = expected, unknown = never issued),
 * upstream budget, demand gating, snapshot freshness, fan-out latency and worker restarts.
 */
import {
  AGENCY_POLLED,
  AGENCY_VIEWERS,
  BROADCAST_DURATION_SECONDS,
  BUILD_INFO,
  ENGINE_CONNECTION_ERRORS_TOTAL,
  POLLING_REQUESTS_TOTAL,
  ROUTER_OPEN_CONNECTIONS,
  ROUTER_HANDOFFS_PENDING,
  ROUTER_REFUSED_TOTAL,
  SESSION_UNKNOWN_TOTAL,
  SESSIONS_LOST_TOTAL,
  SETTINGS_INFO,
  SOCKET_CONNECTIONS,
  SOCKET_CONNECTS_TOTAL,
  SOCKET_DISCONNECTS_TOTAL,
  SOCKET_LIMITED_TOTAL,
  HTTP_RATE_LIMITED_TOTAL,
  SOCKET_RECONNECTS_TOTAL,
  UPSTREAM_BUDGET_DEFERRED_TOTAL,
  COORDINATION_MESSAGES_DROPPED_TOTAL,
  UPSTREAM_BUDGET_PER_HOUR,
  UPSTREAM_REQUEST_DURATION_SECONDS,
  UPSTREAM_REQUESTS_TOTAL,
  UPSTREAM_UNAUTHORIZED,
  WORKER_RESTARTS_TOTAL,
} from '../../src/metrics/metric-names.ts';
import { EXPR, POLLING_MISROUTED_OR_UNKNOWN_RATIO_THRESHOLD as RATIO_THRESHOLD, SNAPSHOT_STALE_INTERVALS } from '../../prometheus/rules.ts';
import {
  annotation,
  byName,
  byRegexp,
  dashboard,
  dashboardLink,
  dashedGrey,
  dashedRed,
  fixedColor,
  row,
  stat,
  timeseries,
  workerRestartsPanel,
  type JsonObject,
} from './grafana.ts';
import { scopeVariables } from './variables.ts';

export const OVERVIEW_UID = 'transit-overview';

/** One-line form of a (possibly multi-line) rule expression, for panels. */
const oneLine = (expr: string): string => expr.replace(/\s*\n\s*/g, ' ');

/**
 * Colours of the `cause` series of transit_session_unknown_total: misrouted is the bug (red),
 * unknown is suspicious (orange), ended is the protocol's expected answer (blue).
 */
const CAUSE_COLORS: JsonObject[] = [
  byRegexp('^misrouted', fixedColor('red')),
  byRegexp('^unknown', fixedColor('orange')),
  byRegexp('^ended', fixedColor('blue')),
];

const quantiles = (metric: string, by: string[] = []): { expr: string; legend: string }[] =>
  [0.5, 0.95, 0.99].map((q) => ({
    expr: `histogram_quantile(${q}, sum by (${['le', ...by].join(', ')}) (rate(${metric}_bucket[5m])))`,
    legend: `p${Math.round(q * 100)}${by.map((l) => ` {{${l}}}`).join('')}`,
  }));

export function overviewDashboard(): JsonObject {
  return dashboard({
    uid: OVERVIEW_UID,
    title: 'Transit Tracker — Overview',
    description:
      'Socket.IO sessions across workers ("Session ID unknown" 400s by cause: misrouted = the multi-worker failure, ' +
      'ended = expected after a session closed, unknown = an id never issued), ' +
      'upstream budget against the always-on baseline, demand gating, snapshot freshness and fan-out latency. ' +
      'Metrics: docs/metrics.md.',
    links: [dashboardLink('Workers', 'transit-workers')],
    variables: scopeVariables(),
    annotations: [
      annotation(
        'Worker restarts',
        `sum by (reason) (increase(${WORKER_RESTARTS_TOTAL}[1m])) > 0`,
        'orange',
        'Worker restart: {{reason}}',
      ),
    ],
    panels: [
      row('Now'),
      stat({
        title: 'Connected clients',
        description: 'Socket.IO clients connected now, all workers, all transports.',
        queries: [{ expr: `sum(${SOCKET_CONNECTIONS})`, instant: true }],
        thresholds: [{ color: 'blue', value: null }],
      }),
      stat({
        title: 'Session ID unknown by cause (1h)',
        description:
          'Requests answered 400 "Session ID unknown" in the last hour, by cause. misrouted (the id is live on another ' +
          'worker) must be 0: SessionMisrouted fires on any. ended (a session the service closed: ping timeout, client ' +
          'close, recycled worker) is expected. unknown: ids never issued here (forged, rewritten by a proxy).',
        queries: [{ expr: `sum by (cause) (increase(${SESSION_UNKNOWN_TOTAL}[1h]))`, legend: '{{cause}}', instant: true }],
        decimals: 0,
        graphMode: 'none',
        thresholds: [
          { color: 'green', value: null },
          { color: 'red', value: 1 },
        ],
        overrides: [
          byName('ended', fixedColor('blue')),
          byName('unknown', [
            {
              id: 'thresholds',
              value: {
                mode: 'absolute',
                steps: [
                  { color: 'green', value: null },
                  { color: 'orange', value: 1 },
                ],
              },
            },
          ]),
        ],
      }),
      stat({
        title: 'Sessions lost (1h)',
        description: 'Sessions that ended because their worker was recycled, died, timed out or shut down.',
        queries: [{ expr: `sum(increase(${SESSIONS_LOST_TOTAL}[1h]))`, instant: true }],
        decimals: 0,
        thresholds: [
          { color: 'green', value: null },
          { color: 'orange', value: 1 },
          { color: 'red', value: 20 },
        ],
      }),
      stat({
        title: 'Upstream budget used (projected)',
        description: 'Projected upstream calls per day (last hour × 24) ÷ the daily budget. Over 100 % = over budget.',
        queries: [{ expr: `(${EXPR.upstreamCallsPerDay}) / on() ${EXPR.upstreamDailyBudget}`, instant: true }],
        unit: 'percentunit',
        decimals: 0,
        thresholds: [
          { color: 'green', value: null },
          { color: 'orange', value: 0.8 },
          { color: 'red', value: 1 },
        ],
      }),
      stat({
        title: 'Poller',
        description: 'Whether the demand-gated upstream poller runs now.',
        queries: [{ expr: EXPR.pollerActive, instant: true }],
        graphMode: 'none',
        colorMode: 'background',
        mappings: [
          {
            type: 'value',
            options: {
              '0': { color: 'blue', index: 0, text: 'Idle' },
              '1': { color: 'green', index: 1, text: 'Polling' },
            },
          },
        ],
        thresholds: [{ color: 'blue', value: null }],
      }),
      stat({
        title: 'Snapshot age',
        description: 'Seconds since the newest vehicle snapshot was fetched.',
        queries: [{ expr: EXPR.snapshotAge, instant: true }],
        unit: 's',
        decimals: 0,
        thresholds: [
          { color: 'green', value: null },
          { color: 'orange', value: 60 },
        ],
      }),
      stat({
        title: 'Build',
        description: 'What runs: package version, git commit (unknown in the image) and Node.js version, per distinct build (several during a rolling deploy).',
        queries: [{ expr: `count by (version, commit, node) (${BUILD_INFO})`, legend: '{{version}} · {{commit}} · node {{node}}', instant: true }],
        textMode: 'name',
        graphMode: 'none',
        colorMode: 'none',
        w: 8,
        h: 3,
      }),
      stat({
        title: 'Settings',
        description: 'The settings in force (transit_settings_info), per distinct combination: instances that disagree show one line each.',
        queries: [
          {
            expr: `count by (feed, web_concurrency, sticky, transports, coordination, max_sessions_per_worker, tracing) (${SETTINGS_INFO})`,
            legend: 'feed {{feed}} · {{web_concurrency}} workers · sticky {{sticky}} · {{transports}} · coordination {{coordination}} · sessions/worker {{max_sessions_per_worker}} · tracing {{tracing}}',
            instant: true,
          },
        ],
        textMode: 'name',
        graphMode: 'none',
        colorMode: 'none',
        w: 16,
        h: 3,
      }),

      row('Sockets and sessions'),
      timeseries({
        title: 'Connections by transport',
        description: 'Socket.IO clients connected now, by their current transport (polling clients upgrade to websocket).',
        queries: [{ expr: `sum by (transport) (${SOCKET_CONNECTIONS})`, legend: '{{transport}}' }],
        stacking: true,
      }),
      timeseries({
        title: 'Session ID unknown by cause',
        description:
          'Requests answered 400 "Session ID unknown" per minute, by cause and transport. misrouted: the id names a ' +
          'live session on another worker (the multi-worker routing bug; must stay 0). ended: a session this ' +
          'deployment issued and has closed (ping timeout, client close, aborted poll, recycled or killed worker): ' +
          "Engine.IO v4's correct answer, expected around recycles. unknown: an id never issued here.",
        queries: [
          {
            expr: `sum by (cause, transport) (rate(${SESSION_UNKNOWN_TOTAL}[5m])) * 60`,
            legend: '{{cause}} {{transport}}',
          },
        ],
        axisLabel: 'per minute',
        overrides: CAUSE_COLORS,
      }),
      timeseries({
        title: 'Polling 400 share: misrouted + unknown',
        description:
          'Share of Engine.IO long-polling responses over 5 minutes that were 400 "Session ID unknown" with cause ' +
          `misrouted or unknown (ended excluded). Above the red line (${RATIO_THRESHOLD * 100} %) for 5 minutes, ` +
          'PollingSessionErrors fires: clients are stuck reconnecting.',
        queries: [
          {
            expr: oneLine(EXPR.pollingMisroutedOrUnknownRatio),
            legend: 'misrouted + unknown / all polling responses',
          },
        ],
        unit: 'percentunit',
        softMax: 0.1,
        thresholdLines: true,
        thresholds: [
          { color: 'green', value: null },
          { color: 'red', value: RATIO_THRESHOLD },
        ],
      }),
      timeseries({
        title: 'Connection errors by code',
        description:
          'Engine.IO connection_error per second, by code: 0 Transport unknown, 1 Session ID unknown (every cause, ' +
          'ended included: see "Session ID unknown by cause"), 2 Bad handshake method, 3 Bad request, 4 Forbidden, ' +
          '5 Unsupported protocol version.',
        queries: [
          {
            expr: `sum by (code, message) (rate(${ENGINE_CONNECTION_ERRORS_TOTAL}[5m]))`,
            legend: '{{code}} {{message}}',
          },
        ],
        axisLabel: 'errors / s',
      }),
      timeseries({
        title: 'Polling responses by status',
        description:
          'Engine.IO long-polling HTTP responses per second, by method and status. 400s include "Session ID unknown" ' +
          'for ended sessions, expected around recycles and client aborts: judge them in "Session ID unknown by cause".',
        queries: [
          {
            expr: `sum by (method, status) (rate(${POLLING_REQUESTS_TOTAL}[5m]))`,
            legend: '{{method}} {{status}}',
          },
        ],
        unit: 'reqps',
      }),
      timeseries({
        title: 'Reconnects and lost sessions',
        description:
          'Per minute: all connects; connects that are a client reconnect, by signal (pid: the socket.io-client ' +
          "session id every stock client sends back; auth_connects: the page's own count, without a pid); " +
          'and sessions lost to worker restarts by cause.',
        queries: [
          { expr: `sum(rate(${SOCKET_CONNECTS_TOTAL}[5m])) * 60`, legend: 'connects' },
          { expr: `sum by (signal) (rate(${SOCKET_RECONNECTS_TOTAL}[5m])) * 60`, legend: 'reconnects: {{signal}}' },
          { expr: `sum by (cause) (rate(${SESSIONS_LOST_TOTAL}[5m])) * 60`, legend: 'lost: {{cause}}' },
        ],
        axisLabel: 'per minute',
      }),
      timeseries({
        title: 'Disconnect reasons',
        description: 'Socket.IO disconnects per minute by reason ("transport close", "ping timeout", ...).',
        queries: [{ expr: `sum by (reason) (rate(${SOCKET_DISCONNECTS_TOTAL}[5m])) * 60`, legend: '{{reason}}' }],
        axisLabel: 'per minute',
        stacking: true,
      }),
      timeseries({
        title: 'Router: open connections and refusals',
        description:
          'Connections open on the public port (left; capped by MAX_CONNECTIONS and MAX_CONNECTIONS_PER_IP), ' +
          'connections handed to a worker that has not taken them yet (left, near 0 when workers keep up) and ' +
          'connections the router answered itself per minute, by reason (right): bad_request, max_connections, ' +
          'max_connections_per_ip, no_worker, worker_gone; and client events refused by the per-socket limit ' +
          '(socket event_rate), clients cut for flooding or unread output (socket flood_disconnect, output_buffer), and ' +
          '429s of the per-address limits (rate limited: handshake, api_vehicles).',
        queries: [
          { expr: `sum(${ROUTER_OPEN_CONNECTIONS})`, legend: 'open connections' },
          { expr: `sum(${ROUTER_HANDOFFS_PENDING})`, legend: 'hand-offs pending' },
          { expr: `sum by (reason) (rate(${ROUTER_REFUSED_TOTAL}[5m])) * 60`, legend: 'refused: {{reason}}' },
          { expr: `sum by (reason) (rate(${SOCKET_LIMITED_TOTAL}[5m])) * 60`, legend: 'refused: socket {{reason}}' },
          { expr: `sum by (route) (rate(${HTTP_RATE_LIMITED_TOTAL}[5m])) * 60`, legend: 'refused: rate limited {{route}}' },
        ],
        overrides: [byRegexp('^refused: ', [{ id: 'custom.axisPlacement', value: 'right' }, { id: 'custom.axisLabel', value: 'refused / min' }])],
      }),

      row('Upstream and poller'),
      timeseries({
        title: 'Upstream calls per day vs always-on baseline and budget',
        description:
          'Projected calls per day from the last hour (rate × 86400), against what an always-on poller would make ' +
          '(86400 / poll interval × feeds) and the daily budget (511.org: 1440). Demand gating keeps the first line well under both.',
        queries: [
          { expr: EXPR.upstreamCallsPerDay, legend: 'projected calls/day (last 1h)' },
          { expr: EXPR.upstreamAlwaysOnCallsPerDay, legend: 'always-on baseline' },
          { expr: EXPR.upstreamDailyBudget, legend: 'daily budget' },
          { expr: `max(${UPSTREAM_BUDGET_PER_HOUR}) * 24`, legend: 'enforced hourly budget × 24' },
        ],
        axisLabel: 'calls / day',
        overrides: [
          byName('daily budget', dashedRed),
          byName('enforced hourly budget × 24', dashedRed),
          byName('always-on baseline', dashedGrey),
        ],
      }),
      timeseries({
        title: 'Upstream budget: deferred polls and refused key',
        description:
          'Polls per minute the upstream budget held back (window_full: the rolling hour was spent; store_unavailable: ' +
          'Redis did not answer), and whether upstream refuses the API key now (right axis, 0/1: the poller only ' +
          'probes every 15 minutes). Redis messages dropped: snapshots, statuses or demand keys that failed validation, ' +
          'or came from a deposed poller lease holder (stale_fence).',
        queries: [
          { expr: `sum by (reason) (rate(${UPSTREAM_BUDGET_DEFERRED_TOTAL}[5m])) * 60`, legend: 'deferred: {{reason}}' },
          { expr: `sum by (reason) (rate(${COORDINATION_MESSAGES_DROPPED_TOTAL}[5m])) * 60`, legend: 'Redis messages dropped: {{reason}}' },
          { expr: `max(${UPSTREAM_UNAUTHORIZED})`, legend: 'key refused' },
        ],
        overrides: [
          byName('key refused', [
            { id: 'custom.axisPlacement', value: 'right' },
            { id: 'custom.lineInterpolation', value: 'stepAfter' },
            { id: 'max', value: 1 },
            { id: 'color', value: { fixedColor: 'red', mode: 'fixed' } },
          ]),
        ],
      }),
      timeseries({
        title: 'Poller active vs viewers',
        description:
          'Viewers holding demand (left) and whether the poller runs (right, 0/1). The poller should stop ' +
          'within DEMAND_GRACE_MS of viewers reaching 0; PollerActiveWithoutViewers fires after 5 minutes. ' +
          'FEED=511 with several agencies: viewers per agency, and which agencies are polled (right, 0/1 each).',
        queries: [
          { expr: EXPR.demandViewers, legend: 'viewers' },
          { expr: EXPR.pollerActive, legend: 'poller active' },
          { expr: `sum by (agency) (${AGENCY_VIEWERS})`, legend: 'viewers: {{agency}}' },
          { expr: `max by (agency) (${AGENCY_POLLED})`, legend: 'polled: {{agency}}' },
        ],
        overrides: [
          byName('poller active', [
            { id: 'custom.axisPlacement', value: 'right' },
            { id: 'custom.lineInterpolation', value: 'stepAfter' },
            { id: 'custom.fillOpacity', value: 20 },
            { id: 'max', value: 1 },
            { id: 'color', value: { fixedColor: 'green', mode: 'fixed' } },
          ]),
          byRegexp('^polled: ', [
            { id: 'custom.axisPlacement', value: 'right' },
            { id: 'custom.lineInterpolation', value: 'stepAfter' },
            { id: 'max', value: 1 },
          ]),
        ],
      }),
      timeseries({
        title: 'Snapshot age',
        description: `Age of the newest vehicle snapshot against ${SNAPSHOT_STALE_INTERVALS} × the effective poll interval (SnapshotStale threshold while the poller runs).`,
        queries: [
          { expr: EXPR.snapshotAge, legend: 'snapshot age' },
          { expr: EXPR.snapshotStaleThreshold, legend: `stale threshold (${SNAPSHOT_STALE_INTERVALS}× poll interval)` },
        ],
        unit: 's',
        overrides: [byName(`stale threshold (${SNAPSHOT_STALE_INTERVALS}× poll interval)`, dashedRed)],
      }),
      timeseries({
        title: 'Broadcast latency',
        description: 'Time to fan one delta out to every client of a worker: p50, p95, p99 over 5 minutes.',
        queries: quantiles(BROADCAST_DURATION_SECONDS),
        unit: 's',
      }),
      timeseries({
        title: 'Upstream requests by outcome',
        description: 'Upstream calls per minute by outcome: ok, http_error, timeout, network, malformed, empty.',
        queries: [
          {
            expr: `sum by (feed, outcome) (rate(${UPSTREAM_REQUESTS_TOTAL}[5m])) * 60`,
            legend: '{{feed}} {{outcome}}',
          },
        ],
        axisLabel: 'per minute',
        stacking: true,
      }),
      timeseries({
        title: 'Upstream latency',
        description: 'Duration of one upstream call (any outcome): p50, p95, p99 over 5 minutes, by feed.',
        queries: quantiles(UPSTREAM_REQUEST_DURATION_SECONDS, ['feed']),
        unit: 's',
      }),
      workerRestartsPanel({ w: 24 }),
    ],
  });
}

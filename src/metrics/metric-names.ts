/**
 * The Prometheus metric contract of Transit Tracker: every metric name, its labels,
 * label values, histogram buckets and how the primary aggregates it over workers.
 *
 * Plain data, no imports: the service registers its metrics from these constants, and
 * `prometheus/rules.ts`, `dashboards/` and `docs/metrics.md` are written against them
 * (the specs in `test/observability/` keep them in step).
 *
 * Metrics are served by the primary on METRICS_PORT, aggregated over all worker
 * processes (prom-client's AggregatorRegistry). Each definition's `aggregator` says how
 * the values of the workers combine.
 */

// ---------------------------------------------------------------------------------------
// Socket.IO / Engine.IO sessions
// ---------------------------------------------------------------------------------------

/** Gauge {transport}: Socket.IO clients connected right now, by current transport. */
export const SOCKET_CONNECTIONS = 'transit_socket_connections';
/** Counter: Socket.IO connections accepted (every `connection` event). */
export const SOCKET_CONNECTS_TOTAL = 'transit_socket_connects_total';
/** Counter {reason}: Socket.IO disconnects, by socket.io's disconnect reason. */
export const SOCKET_DISCONNECTS_TOTAL = 'transit_socket_disconnects_total';
/**
 * Counter {signal}: connections that are a reconnect of a Socket.IO client, by what says so:
 * `pid` (the socket.io-client's own session id, sent by every stock client on a reconnect) or
 * `auth_connects` (no pid, but the page's handshake `auth.connects` > 0). One count per connection.
 */
export const SOCKET_RECONNECTS_TOTAL = 'transit_socket_reconnects_total';
/** Counter {method, status}: Engine.IO long-polling HTTP responses. */
export const POLLING_REQUESTS_TOTAL = 'transit_polling_requests_total';
/**
 * Counter {cause, transport}: requests answered `400 {"code":1,"message":"Session ID unknown"}`,
 * by why the id was unknown: `misrouted` (the id names a live session on another worker: the
 * seed's bug, must stay 0), `ended` (a session this deployment issued and has closed: the
 * protocol's answer, expected around recycles and client aborts), `unknown` (never issued here).
 */
export const SESSION_UNKNOWN_TOTAL = 'transit_session_unknown_total';
/** Counter {reason}: client events refused by the per-socket limit, and clients cut for flooding or for output they do not read. */
export const SOCKET_LIMITED_TOTAL = 'transit_socket_limited_total';
/** Counter {route}: requests answered 429 by the per-address limits (HANDSHAKES_PER_MINUTE_PER_IP, API_REQUESTS_PER_MINUTE_PER_IP). */
export const HTTP_RATE_LIMITED_TOTAL = 'transit_http_rate_limited_total';
/** Counter {code, message}: Engine.IO `connection_error` events. */
export const ENGINE_CONNECTION_ERRORS_TOTAL = 'transit_engine_connection_errors_total';
/** Counter {cause}: sessions that ended because their worker went away. */
export const SESSIONS_LOST_TOTAL = 'transit_sessions_lost_total';

// ---------------------------------------------------------------------------------------
// Upstream feed, poller, demand, snapshot, fan-out
// ---------------------------------------------------------------------------------------

/** Counter {feed, outcome}: upstream calls (one per fetch), by result. */
export const UPSTREAM_REQUESTS_TOTAL = 'transit_upstream_requests_total';
/** Histogram {feed}: wall time of one upstream call, whatever its outcome. */
export const UPSTREAM_REQUEST_DURATION_SECONDS = 'transit_upstream_request_duration_seconds';
/** Gauge: 1 while the demand-gated poller runs, else 0. */
export const POLLER_ACTIVE = 'transit_poller_active';
/** Gauge: viewers holding demand open, summed over workers. */
export const DEMAND_VIEWERS = 'transit_demand_viewers';
/** Gauge {agency}: viewers of this instance per agency (FEED=511 with FEED_AGENCIES), a fallback viewer counting one. */
export const AGENCY_VIEWERS = 'transit_agency_viewers';
/** Gauge {agency}: 1 while the agency is polled (someone in the deployment watches it, or did within DEMAND_GRACE_MS), else 0. */
export const AGENCY_POLLED = 'transit_agency_polled';

/** Gauge: seconds since the newest vehicle snapshot was fetched. */
export const SNAPSHOT_AGE_SECONDS = 'transit_snapshot_age_seconds';
/** Histogram: time to fan one delta out to every client of a worker. */
export const BROADCAST_DURATION_SECONDS = 'transit_broadcast_duration_seconds';
/** Counter {reason}: connections the primary's router answered itself instead of handing them on. */
export const ROUTER_REFUSED_TOTAL = 'transit_router_refused_total';
/** Gauge: connections open on the public port, whichever worker holds them. */
export const ROUTER_OPEN_CONNECTIONS = 'transit_router_open_connections';
/** Gauge: connections handed to a worker that has not taken them yet (handle-lane.ts). */
export const ROUTER_HANDOFFS_PENDING = 'transit_router_handoffs_pending';
/** Counter {reason}: worker processes replaced by the primary. */
export const WORKER_RESTARTS_TOTAL = 'transit_worker_restarts_total';
/**
 * Counter {reason}: messages read from Redis (coordination channel, snapshot key, demand keys)
 * and not used: `invalid_message` / `invalid_demand` (wrong shape, absurd version) or
 * `stale_fence` (from a deposed poller lease holder).
 */
export const COORDINATION_MESSAGES_DROPPED_TOTAL = 'transit_coordination_messages_dropped_total';

// ---------------------------------------------------------------------------------------
// Configuration, exported as gauges so rules and dashboards need no hard-coded numbers
// ---------------------------------------------------------------------------------------

/** Gauge: POLL_INTERVAL_MS in seconds. */
export const POLL_INTERVAL_SECONDS = 'transit_poll_interval_seconds';
/** Gauge: UPSTREAM_DAILY_BUDGET, upstream calls allowed per day (511.org: 60/h = 1440/day). */
export const UPSTREAM_DAILY_BUDGET = 'transit_upstream_daily_budget';
/** Gauge: number of upstream feeds polled (1). */
export const FEEDS = 'transit_feeds';
/** Gauge: UPSTREAM_BUDGET_PER_HOUR, upstream calls allowed in any rolling hour (enforced); +Inf = unlimited. */
export const UPSTREAM_BUDGET_PER_HOUR = 'transit_upstream_budget_per_hour';
/** Gauge: the poll interval in use, POLL_INTERVAL_MS stretched by the budget and the agencies polled. */
export const POLL_EFFECTIVE_INTERVAL_SECONDS = 'transit_poll_effective_interval_seconds';
/** Counter {reason}: polls held back because the rolling hour's budget was spent (or its store did not answer). */
export const UPSTREAM_BUDGET_DEFERRED_TOTAL = 'transit_upstream_budget_deferred_total';
/** Gauge: 1 while upstream refuses the API key (401/403) and the poller only probes slowly, else 0. */
export const UPSTREAM_UNAUTHORIZED = 'transit_upstream_unauthorized';

// ---------------------------------------------------------------------------------------
// Build and settings, as `_info` metrics (value 1, the facts in labels)
// ---------------------------------------------------------------------------------------

/** Gauge {version, node, commit}: 1; which build runs (package version, Node.js version, git commit or "unknown"). */
export const BUILD_INFO = 'transit_build_info';
/** Gauge {feed, sticky, transports, web_concurrency, coordination, ...}: 1; the non-secret settings in force. */
export const SETTINGS_INFO = 'transit_settings_info';

// ---------------------------------------------------------------------------------------
// Labels and label values
// ---------------------------------------------------------------------------------------

/**
 * Sampling period of the event-loop delay histogram behind `nodejs_eventloop_lag_*`
 * (prom-client's `eventLoopMonitoringPrecision`). prom-client's 10 ms default is a timer that
 * wakes every process 100 times a second even when idle (≈5 millicores each, measured: 3
 * processes used 15 mcores idle vs 2 for a plain socket.io cluster); at 100 ms a stall that
 * delays the loop by ≥ 100 ms is still seen on every occurrence, shorter ones in proportion.
 */
export const EVENT_LOOP_MONITORING_PRECISION_MS = 100;

/** Label that per-process default metrics (prom-client `collectDefaultMetrics`) carry. */
export const WORKER_LABEL = 'worker';
/** `worker` label value of the primary process; workers use their 1-based index ("1", "2", ...). */
export const PRIMARY_WORKER_LABEL_VALUE = 'primary';

/** `transport` label values of {@link SOCKET_CONNECTIONS}. */
export const TRANSPORTS = ['polling', 'websocket'] as const;
export type TransportLabel = (typeof TRANSPORTS)[number];

/** Known socket.io disconnect reasons (the `reason` label of {@link SOCKET_DISCONNECTS_TOTAL}). */
export const DISCONNECT_REASONS = [
  'transport close',
  'transport error',
  'ping timeout',
  'parse error',
  'forced close',
  'forced server close',
  'client namespace disconnect',
  'server namespace disconnect',
  'server shutting down',
] as const;
export type DisconnectReasonLabel = (typeof DISCONNECT_REASONS)[number];

/** Engine.IO `connection_error` codes and their messages (labels `code`, `message`). */
export const ENGINE_ERROR_MESSAGES = {
  '0': 'Transport unknown',
  '1': 'Session ID unknown',
  '2': 'Bad handshake method',
  '3': 'Bad request',
  '4': 'Forbidden',
  '5': 'Unsupported protocol version',
} as const;
export type EngineErrorCodeLabel = keyof typeof ENGINE_ERROR_MESSAGES;

/** `reason` label values of {@link UPSTREAM_BUDGET_DEFERRED_TOTAL}. */
export const BUDGET_DEFERRAL_REASONS = ['window_full', 'store_unavailable'] as const;

/** `reason` label values of {@link COORDINATION_MESSAGES_DROPPED_TOTAL}. */
export const COORDINATION_DROP_REASONS = ['invalid_message', 'invalid_demand', 'stale_fence'] as const;

/** `cause` label values of {@link SESSIONS_LOST_TOTAL}. */
export const SESSION_LOST_CAUSES = ['worker_recycled', 'worker_died', 'worker_timeout', 'shutdown'] as const;
export type SessionLostCauseLabel = (typeof SESSION_LOST_CAUSES)[number];

/** `outcome` label values of {@link UPSTREAM_REQUESTS_TOTAL} (`ok` plus every FeedFailure). */
export const UPSTREAM_OUTCOMES = ['ok', 'http_error', 'timeout', 'network', 'malformed', 'empty', 'rate_limited', 'unauthorized'] as const;
export type UpstreamOutcomeLabel = (typeof UPSTREAM_OUTCOMES)[number];

/** `reason` label values of {@link WORKER_RESTARTS_TOTAL}. */
export const WORKER_RESTART_REASONS = ['exit', 'crash', 'recycled', 'timeout'] as const;
export type WorkerRestartReasonLabel = (typeof WORKER_RESTART_REASONS)[number];

/** `cause` label values of {@link SESSION_UNKNOWN_TOTAL}; alerts key on `misrouted` + `unknown`. */
export const SESSION_UNKNOWN_CAUSES = ['misrouted', 'ended', 'unknown'] as const;
export type SessionUnknownCauseLabel = (typeof SESSION_UNKNOWN_CAUSES)[number];

/** `reason` label values of {@link ROUTER_REFUSED_TOTAL}. */
export const ROUTER_REFUSAL_REASONS = ['bad_request', 'max_connections', 'max_connections_per_ip', 'no_worker', 'worker_gone'] as const;
export type RouterRefusalLabel = (typeof ROUTER_REFUSAL_REASONS)[number];

/** `reason` label values of {@link SOCKET_LIMITED_TOTAL}. */
export const SOCKET_LIMIT_REASONS = ['event_rate', 'flood_disconnect', 'output_buffer'] as const;

/** `route` label values of {@link HTTP_RATE_LIMITED_TOTAL}: what a per-address limit counts. */
export const RATE_LIMITED_ROUTES = ['handshake', 'api_vehicles'] as const;
export type RateLimitedRouteLabel = (typeof RATE_LIMITED_ROUTES)[number];

/** `signal` label values of {@link SOCKET_RECONNECTS_TOTAL}: which handshake field said "reconnect". */
export const RECONNECT_SIGNALS = ['pid', 'auth_connects'] as const;
export type ReconnectSignalLabel = (typeof RECONNECT_SIGNALS)[number];

/** Labels of {@link SETTINGS_INFO}, each a setting of src/config (never a secret or a URL). */
export const SETTINGS_INFO_LABELS = [
  'feed',
  'sticky',
  'transports',
  'web_concurrency',
  'coordination',
  'max_sessions_per_worker',
  'demand_grace_ms',
  'ping_interval_ms',
  'ping_timeout_ms',
  'graceful_timeout_ms',
  'worker_timeout_ms',
  'tracing',
] as const;

/** `method` label values of {@link POLLING_REQUESTS_TOTAL}. */
export const POLLING_METHODS = ['GET', 'POST'] as const;
export type PollingMethodLabel = (typeof POLLING_METHODS)[number];

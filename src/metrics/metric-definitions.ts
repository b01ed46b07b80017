/**
 * The metric catalogue: every metric's type, help, labels, aggregator and buckets, built from
 * the names and label values of metric-names.ts. `catalogue.ts` creates metrics from it; the
 * docs and dashboard specs check against it.
 */
import {
  AGENCY_POLLED,
  AGENCY_VIEWERS,
  BROADCAST_DURATION_SECONDS,
  BUILD_INFO,
  COORDINATION_MESSAGES_DROPPED_TOTAL,
  DEMAND_VIEWERS,
  ENGINE_CONNECTION_ERRORS_TOTAL,
  FEEDS,
  HTTP_RATE_LIMITED_TOTAL,
  POLLER_ACTIVE,
  POLLING_REQUESTS_TOTAL,
  POLL_EFFECTIVE_INTERVAL_SECONDS,
  POLL_INTERVAL_SECONDS,
  ROUTER_OPEN_CONNECTIONS,
  ROUTER_HANDOFFS_PENDING,
  ROUTER_REFUSED_TOTAL,
  SESSIONS_LOST_TOTAL,
  SESSION_UNKNOWN_TOTAL,
  SETTINGS_INFO,
  SETTINGS_INFO_LABELS,
  SNAPSHOT_AGE_SECONDS,
  SOCKET_CONNECTIONS,
  SOCKET_CONNECTS_TOTAL,
  SOCKET_DISCONNECTS_TOTAL,
  SOCKET_LIMITED_TOTAL,
  SOCKET_RECONNECTS_TOTAL,
  UPSTREAM_BUDGET_DEFERRED_TOTAL,
  UPSTREAM_BUDGET_PER_HOUR,
  UPSTREAM_DAILY_BUDGET,
  UPSTREAM_REQUESTS_TOTAL,
  UPSTREAM_REQUEST_DURATION_SECONDS,
  UPSTREAM_UNAUTHORIZED,
  WORKER_RESTARTS_TOTAL,
} from './metric-names.js';

// ---------------------------------------------------------------------------------------
// Histogram buckets (seconds). Frozen: pass a copy to prom-client, `[...BUCKETS]`.
// ---------------------------------------------------------------------------------------

/** Upstream calls: a healthy GTFS-RT fetch is 50 ms–2 s; FEED_TIMEOUT_MS defaults to 10 s (max 120 s). */
export const UPSTREAM_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120,
]);

/** Fan-out of one delta to every client of a worker: sub-millisecond to about a second. */
export const BROADCAST_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
]);

// ---------------------------------------------------------------------------------------
// The catalogue
// ---------------------------------------------------------------------------------------

export type MetricType = 'counter' | 'gauge' | 'histogram';
/** prom-client's `aggregator` option (how the primary combines the workers' values). */
export type MetricAggregator = 'sum' | 'first' | 'min' | 'max' | 'average' | 'omit';

export interface MetricDefinition {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly aggregator: MetricAggregator;
  readonly buckets?: readonly number[];
}

/**
 * Every metric of the service, with its help text, labels and aggregator. Counters must
 * stay monotonic across worker restarts: count them where the process outlives the
 * event (the primary), or have the primary keep a departed worker's last values.
 * Pre-initialise every known label combination to 0 so `rate()` sees the first event.
 */
export const METRIC_DEFINITIONS: readonly MetricDefinition[] = Object.freeze([
  {
    name: SOCKET_CONNECTIONS,
    type: 'gauge',
    help: 'Socket.IO clients connected now, by current transport.',
    labelNames: ['transport'],
    aggregator: 'sum',
  },
  {
    name: SOCKET_CONNECTS_TOTAL,
    type: 'counter',
    help: 'Socket.IO connections accepted.',
    labelNames: [],
    aggregator: 'sum',
  },
  {
    name: SOCKET_DISCONNECTS_TOTAL,
    type: 'counter',
    help: 'Socket.IO disconnects, by socket.io disconnect reason.',
    labelNames: ['reason'],
    aggregator: 'sum',
  },
  {
    name: SOCKET_RECONNECTS_TOTAL,
    type: 'counter',
    help: 'Socket.IO connections that are a reconnect of a client, by signal: pid (the stock client\'s session id in the handshake) or auth_connects (handshake auth.connects > 0 without a pid).',
    labelNames: ['signal'],
    aggregator: 'sum',
  },
  {
    name: POLLING_REQUESTS_TOTAL,
    type: 'counter',
    help: 'Engine.IO long-polling HTTP responses, by method and status code.',
    labelNames: ['method', 'status'],
    aggregator: 'sum',
  },
  {
    name: SESSION_UNKNOWN_TOTAL,
    type: 'counter',
    help: 'Requests answered 400 "Session ID unknown", by cause (misrouted, ended, unknown) and transport.',
    labelNames: ['cause', 'transport'],
    aggregator: 'sum',
  },
  {
    name: SOCKET_LIMITED_TOTAL,
    type: 'counter',
    help: 'Client events refused by the per-socket rate limit (event_rate), clients disconnected for flooding (flood_disconnect) and for output past MAX_CLIENT_BUFFER_BYTES that they do not read (output_buffer).',
    labelNames: ['reason'],
    aggregator: 'sum',
  },
  {
    name: HTTP_RATE_LIMITED_TOTAL,
    type: 'counter',
    help: 'Requests answered 429 by the per-address limits, by route: handshake (Socket.IO handshakes) or api_vehicles.',
    labelNames: ['route'],
    aggregator: 'sum',
  },
  {
    name: ENGINE_CONNECTION_ERRORS_TOTAL,
    type: 'counter',
    help: 'Engine.IO connection errors, by code and message (1 = Session ID unknown).',
    labelNames: ['code', 'message'],
    aggregator: 'sum',
  },
  {
    name: SESSIONS_LOST_TOTAL,
    type: 'counter',
    help: 'Socket.IO sessions lost because their worker went away, by cause.',
    labelNames: ['cause'],
    aggregator: 'sum',
  },
  {
    name: UPSTREAM_REQUESTS_TOTAL,
    type: 'counter',
    help: 'Upstream feed calls, by feed and outcome.',
    labelNames: ['feed', 'outcome'],
    aggregator: 'sum',
  },
  {
    name: UPSTREAM_REQUEST_DURATION_SECONDS,
    type: 'histogram',
    help: 'Duration of one upstream feed call in seconds, any outcome.',
    labelNames: ['feed'],
    aggregator: 'sum',
    buckets: UPSTREAM_DURATION_BUCKETS,
  },
  {
    name: POLLER_ACTIVE,
    type: 'gauge',
    help: '1 while the demand-gated upstream poller runs, else 0.',
    labelNames: [],
    aggregator: 'max',
  },
  {
    name: DEMAND_VIEWERS,
    type: 'gauge',
    help: 'Viewers holding upstream demand open, summed over workers.',
    labelNames: [],
    aggregator: 'sum',
  },
  {
    name: AGENCY_VIEWERS,
    type: 'gauge',
    help: 'Viewers of this instance per agency (FEED=511), an HTTP fallback viewer counting one; absent for feeds with one implicit agency.',
    labelNames: ['agency'],
    aggregator: 'sum',
  },
  {
    name: AGENCY_POLLED,
    type: 'gauge',
    help: '1 while the agency is polled (watched, or within DEMAND_GRACE_MS of its last viewer), else 0; FEED=511 only.',
    labelNames: ['agency'],
    aggregator: 'max',
  },
  {
    name: SNAPSHOT_AGE_SECONDS,
    type: 'gauge',
    help: 'Seconds since the newest vehicle snapshot was fetched (since process start before the first one).',
    labelNames: [],
    aggregator: 'max',
  },
  {
    name: BROADCAST_DURATION_SECONDS,
    type: 'histogram',
    help: 'Time in seconds to fan one delta out to every client of a worker.',
    labelNames: [],
    aggregator: 'sum',
    buckets: BROADCAST_DURATION_BUCKETS,
  },
  {
    name: ROUTER_REFUSED_TOTAL,
    type: 'counter',
    help: 'Connections the router answered itself (400 bad request line, 503 over a connection cap, no worker, worker died before taking it), by reason.',
    labelNames: ['reason'],
    aggregator: 'sum',
  },
  {
    name: ROUTER_OPEN_CONNECTIONS,
    type: 'gauge',
    help: 'Connections open on the public port, whichever worker holds them (capped by MAX_CONNECTIONS and MAX_CONNECTIONS_PER_IP).',
    labelNames: [],
    aggregator: 'sum',
  },
  {
    name: ROUTER_HANDOFFS_PENDING,
    type: 'gauge',
    help: 'Connections the router has handed to a worker that the worker has not taken yet (one IPC hand-off in flight per worker, the rest waiting behind it).',
    labelNames: [],
    aggregator: 'sum',
  },
  {
    name: WORKER_RESTARTS_TOTAL,
    type: 'counter',
    help: 'Worker processes replaced by the primary, by reason.',
    labelNames: ['reason'],
    aggregator: 'sum',
  },
  {
    name: POLL_INTERVAL_SECONDS,
    type: 'gauge',
    help: 'Configured upstream poll interval in seconds (POLL_INTERVAL_MS / 1000).',
    labelNames: [],
    aggregator: 'max',
  },
  {
    name: UPSTREAM_DAILY_BUDGET,
    type: 'gauge',
    help: 'Configured upstream calls allowed per day (UPSTREAM_DAILY_BUDGET).',
    labelNames: [],
    aggregator: 'max',
  },
  {
    name: FEEDS,
    type: 'gauge',
    help: 'Number of upstream feeds polled.',
    labelNames: [],
    aggregator: 'max',
  },
  {
    name: UPSTREAM_BUDGET_PER_HOUR,
    type: 'gauge',
    help: 'Upstream calls allowed in any rolling hour, enforced by the poller (UPSTREAM_BUDGET_PER_HOUR); +Inf = unlimited.',
    labelNames: [],
    aggregator: 'max',
  },
  {
    name: POLL_EFFECTIVE_INTERVAL_SECONDS,
    type: 'gauge',
    help: 'Poll interval in use: POLL_INTERVAL_MS, or longer when the budget and the number of agencies require it.',
    labelNames: [],
    aggregator: 'max',
  },
  {
    name: UPSTREAM_BUDGET_DEFERRED_TOTAL,
    type: 'counter',
    help: 'Polls held back by the upstream budget: window_full (the rolling hour was spent) or store_unavailable (Redis did not answer).',
    labelNames: ['reason'],
    aggregator: 'sum',
  },
  {
    name: COORDINATION_MESSAGES_DROPPED_TOTAL,
    type: 'counter',
    help: 'Messages from Redis not used: invalid_message / invalid_demand (wrong shape or absurd version) or stale_fence (from a deposed poller lease holder).',
    labelNames: ['reason'],
    aggregator: 'sum',
  },
  {
    name: UPSTREAM_UNAUTHORIZED,
    type: 'gauge',
    help: '1 while the upstream refuses the API key (401/403) and the poller only probes every 15 minutes, else 0.',
    labelNames: [],
    aggregator: 'max',
  },
  {
    name: BUILD_INFO,
    type: 'gauge',
    help: 'Always 1: the build that runs (package version, Node.js version, git commit or "unknown").',
    labelNames: ['version', 'node', 'commit'],
    aggregator: 'max',
  },
  {
    name: SETTINGS_INFO,
    type: 'gauge',
    help: 'Always 1: the non-secret settings in force, as labels (numbers used by rules are also plain gauges).',
    labelNames: SETTINGS_INFO_LABELS,
    aggregator: 'max',
  },
]);

/** Every metric name above. */
export const ALL_METRIC_NAMES: readonly string[] = Object.freeze(METRIC_DEFINITIONS.map((d) => d.name));

import { collectDefaultMetrics, Registry, type Counter, type Histogram } from 'prom-client';
import type { Config } from '../config/config.js';
import type { Pacing } from '../poller/call-budget.js';
import { readBuildInfo } from '../telemetry/build-info.js';
import { counter, gauge, histogram, zero } from './catalogue.js';
import * as M from './metric-names.js';

/** Live values the primary's gauges read at scrape time. */
export interface PrimaryGaugeSources {
  pollerActive: () => boolean;
  viewers: () => number;
  /** When the newest snapshot was fetched (ms), or null before the first. */
  lastSuccessAt: () => number | null;
  startedAt: number;
  /** Connections open on the public port. */
  openConnections: () => number;
  /** Connections handed to a worker that has not taken them yet. */
  handoffsPending: () => number;
  /** How the budget paces the poller (interval, budget, calls per poll). */
  pacing?: Pacing;
  /** The interval in use now (with agencies it follows the watched set); default `pacing.intervalMs`. */
  effectiveIntervalMs?: () => number;
  /** Whether upstream refuses the API key right now. */
  unauthorized?: () => boolean;
  /** Viewers of this instance per agency, and the agencies polled now (FEED=511; absent otherwise). */
  agencies?: { viewers: () => ReadonlyMap<string, number>; polled: () => readonly string[] };
}

/** Metrics the primary owns: upstream, poller, demand, snapshot age, worker restarts. */
export class PrimaryMetrics {
  readonly registry = new Registry();
  readonly upstreamRequests: Counter<'feed' | 'outcome'>;
  readonly upstreamDuration: Histogram<'feed'>;
  readonly workerRestarts: Counter<'reason'>;
  readonly sessionsLost: Counter<'cause'>;
  readonly routerRefused: Counter<'reason'>;
  readonly budgetDeferred: Counter<'reason'>;
  readonly coordinationDropped: Counter<'reason'>;

  constructor(config: Config, live: PrimaryGaugeSources) {
    const r = this.registry;
    this.upstreamRequests = counter(M.UPSTREAM_REQUESTS_TOTAL, r);
    this.upstreamDuration = histogram(M.UPSTREAM_REQUEST_DURATION_SECONDS, r);
    this.workerRestarts = counter(M.WORKER_RESTARTS_TOTAL, r);
    this.sessionsLost = counter(M.SESSIONS_LOST_TOTAL, r);
    for (const outcome of M.UPSTREAM_OUTCOMES) this.upstreamRequests.inc({ feed: config.FEED, outcome }, 0);
    zero(this.workerRestarts, 'reason', M.WORKER_RESTART_REASONS);
    zero(this.sessionsLost, 'cause', M.SESSION_LOST_CAUSES);
    this.routerRefused = counter(M.ROUTER_REFUSED_TOTAL, r);
    zero(this.routerRefused, 'reason', M.ROUTER_REFUSAL_REASONS);
    gauge(M.ROUTER_OPEN_CONNECTIONS, r, (g) => g.set(live.openConnections()));
    gauge(M.ROUTER_HANDOFFS_PENDING, r, (g) => g.set(live.handoffsPending()));
    gauge(M.POLLER_ACTIVE, r, (g) => g.set(live.pollerActive() ? 1 : 0));
    gauge(M.DEMAND_VIEWERS, r, (g) => g.set(live.viewers()));
    const agencies = live.agencies;
    if (agencies) {
      gauge(M.AGENCY_VIEWERS, r, (g) => {
        for (const [agency, n] of agencies.viewers()) g.set({ agency }, n);
      });
      gauge(M.AGENCY_POLLED, r, (g) => {
        const polled = new Set(agencies.polled());
        for (const agency of agencies.viewers().keys()) g.set({ agency }, polled.has(agency) ? 1 : 0);
      });
    }
    gauge(M.SNAPSHOT_AGE_SECONDS, r, (g) => g.set((Date.now() - (live.lastSuccessAt() ?? live.startedAt)) / 1000));
    gauge(M.POLL_INTERVAL_SECONDS, r).set(config.POLL_INTERVAL_MS / 1000);
    gauge(M.UPSTREAM_DAILY_BUDGET, r).set(config.UPSTREAM_DAILY_BUDGET);
    gauge(M.FEEDS, r).set(live.pacing?.callsPerPoll ?? 1);
    gauge(M.UPSTREAM_BUDGET_PER_HOUR, r).set(live.pacing?.budgetPerHour ?? Infinity);
    gauge(M.POLL_EFFECTIVE_INTERVAL_SECONDS, r, (g) => g.set((live.effectiveIntervalMs?.() ?? live.pacing?.intervalMs ?? config.POLL_INTERVAL_MS) / 1000));
    gauge(M.UPSTREAM_UNAUTHORIZED, r, (g) => g.set(live.unauthorized?.() ? 1 : 0));
    this.budgetDeferred = counter(M.UPSTREAM_BUDGET_DEFERRED_TOTAL, r);
    zero(this.budgetDeferred, 'reason', M.BUDGET_DEFERRAL_REASONS);
    this.coordinationDropped = counter(M.COORDINATION_MESSAGES_DROPPED_TOTAL, r);
    zero(this.coordinationDropped, 'reason', M.COORDINATION_DROP_REASONS);
    gauge(M.BUILD_INFO, r).set({ ...readBuildInfo() }, 1);
    gauge(M.SETTINGS_INFO, r).set(settingsInfo(config), 1);
    collectDefaultMetrics({ register: r, labels: { [M.WORKER_LABEL]: M.PRIMARY_WORKER_LABEL_VALUE }, eventLoopMonitoringPrecision: M.EVENT_LOOP_MONITORING_PRECISION_MS });
  }
}

/** Labels of transit_settings_info: the settings that explain a dashboard, never a secret or a URL. */
export function settingsInfo(config: Config): Record<(typeof M.SETTINGS_INFO_LABELS)[number], string> {
  return {
    feed: config.FEED,
    sticky: String(config.STICKY),
    transports: config.TRANSPORTS.join(','),
    web_concurrency: String(config.WEB_CONCURRENCY),
    coordination: config.REDIS_URL ? 'redis' : 'none',
    max_sessions_per_worker: String(config.MAX_SESSIONS_PER_WORKER),
    demand_grace_ms: String(config.DEMAND_GRACE_MS),
    ping_interval_ms: String(config.PING_INTERVAL_MS),
    ping_timeout_ms: String(config.PING_TIMEOUT_MS),
    graceful_timeout_ms: String(config.GRACEFUL_TIMEOUT_MS),
    worker_timeout_ms: String(config.WORKER_TIMEOUT_MS),
    tracing: config.OTEL_EXPORTER_OTLP_ENDPOINT ? 'otlp' : 'off',
  };
}

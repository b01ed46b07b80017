import type { Config } from '../config/config.js';
import { LocalCoordinator, type Coordinator } from '../coordination/coordinator.js';
import { RedisCoordinator, type DropReason } from '../coordination/redis-coordinator.js';
import { agencyViewers } from '../demand/agency-demand.js';
import { computeDemand, viewerCount, type ViewerReport } from '../demand/demand.js';
import { createFeed } from '../feed/feed.factory.js';
import type { PrimaryMessage } from '../ipc/messages.js';
import type { Logger } from '../logging/logger.js';
import { PrimaryMetrics, type PrimaryGaugeSources } from '../metrics/primary-metrics.js';
import { createBudget } from '../poller/budget.factory.js';
import { PollController } from '../poller/poll-controller.js';
import { VehicleStore } from '../store/vehicle-store.js';
import { traceUpstreamCall } from '../telemetry/spans.js';

/** What the polling side needs of the workers: a way to tell them all, or one. */
export interface WorkerSink {
  broadcast(msg: PrimaryMessage): void;
  send(id: number, msg: PrimaryMessage): void;
}

/** The primary's view of this instance's one poller, its coordinator, store, demand and metrics. */
export interface Polling {
  readonly metrics: Pick<PrimaryMetrics, 'workerRestarts' | 'sessionsLost' | 'routerRefused' | 'registry'>;
  readonly feedKind: string;
  readonly coordinationKind: string;
  readonly instanceId: string;
  /** Worker `id`'s latest absolute viewer report. */
  report(id: number, report: ViewerReport): void;
  /** Worker `id` is gone: its viewers no longer count. Returns its last report. */
  forget(id: number): ViewerReport | undefined;
  /** What a worker that just became ready needs: feed status, coordination state, the newest snapshot. */
  greet(id: number): void;
  /** Joins the deployment (Redis lease) or stands alone; polling starts when this instance leads. */
  start(): Promise<void>;
  /** Shutdown, first: no more polls, the budget's store closed. */
  stopPolling(): Promise<void>;
  /** Shutdown, after the workers: leaves the deployment. */
  stopCoordination(): Promise<void>;
}

/**
 * Builds this instance's feed, upstream budget, coordinator, store, poller and primary metrics,
 * and wires them to each other and to the workers (`sink`): snapshots and status go out to every
 * worker; leadership turns the poller on and off; demand is the sum of the workers' reports.
 */
export function wirePolling(config: Config, logger: Logger, sink: WorkerSink, router: Pick<PrimaryGaugeSources, 'openConnections' | 'handoffsPending'>): Polling {
  const reports = new Map<number, ViewerReport>();
  const localDemand = () => computeDemand(reports.values(), Date.now(), 2 * config.FALLBACK_INTERVAL_MS);
  const demand = () => coordinator.demand(localDemand());
  const store = new VehicleStore();
  const feed = createFeed(config);
  const { pacing, window: budget } = createBudget(config, feed.callsPerFetch ?? 1, (err) =>
    logger.warn({ err: err.message, event: 'redis_error' }, 'Redis (upstream budget) connection problem; polls wait until the shared count answers'),
  );
  const agencies = feed.agencies ?? [];
  const perAgency = agencies.length > 1 ? `; each poll asks only for the agencies being watched, so the interval is max(POLL_INTERVAL_MS, 3600 s × watched agencies ÷ UPSTREAM_BUDGET_PER_HOUR), the above with all ${agencies.length} watched` : '';
  logger.info({ event: 'upstream_budget', budgetPerHour: pacing.budgetPerHour, callsPerPoll: pacing.callsPerPoll, configuredIntervalMs: pacing.configuredIntervalMs, intervalMs: pacing.intervalMs, store: budget?.kind ?? 'none', ...(agencies.length > 1 ? { agencies } : {}) }, pacing.explanation + perAgency);
  // Starts at once and never waits for Redis; a new lease holder waits one interval (less a margin) before polling.
  const coordinator = createCoordinator(config, logger, pacing.intervalMs, (reason) => metrics.coordinationDropped.inc({ reason }));
  let poller: PollController;
  /** The leader's last successful poll, as it published it (instances sharing REDIS_URL). */
  let leaderSuccessAt: number | null = null;
  const metrics = new PrimaryMetrics(config, {
    pollerActive: () => poller.feedStatus.polling,
    viewers: () => viewerCount(localDemand()),
    // A follower never polls: its data is as fresh as the leader's last success, or the snapshot it adopted.
    lastSuccessAt: () => newest(poller.feedStatus.lastSuccessAt, leaderSuccessAt, store.snapshot?.generatedAt ?? null),
    startedAt: Date.now(),
    ...router,
    pacing,
    effectiveIntervalMs: () => poller.feedStatus.budget?.effectiveIntervalMs ?? pacing.intervalMs,
    unauthorized: () => poller.feedStatus.state === 'unauthorized',
    agencies: agencies.length > 0 ? { viewers: () => agencyViewers(localDemand(), agencies, Date.now()), polled: () => poller.feedStatus.watchedAgencies ?? [] } : undefined,
  });
  poller = new PollController({
    feed,
    store,
    demand,
    intervalMs: pacing.intervalMs,
    budget,
    pacing,
    graceMs: config.DEMAND_GRACE_MS,
    onUpdate: (u) => {
      sink.broadcast({ t: 'data', snapshot: u.snapshot, delta: u.delta });
      coordinator.publishData(u.snapshot, u.delta);
    },
    onStatus: (status) => {
      sink.broadcast({ t: 'feed-status', status });
      if (coordinator.isLeader()) coordinator.publishStatus(status);
    },
    onPoll: (o) => {
      metrics.upstreamRequests.inc({ feed: feed.kind, outcome: o.outcome }, o.calls);
      metrics.upstreamDuration.observe({ feed: feed.kind }, o.durationMs / 1000);
      // A refused key is said once (then probed every 15 min in silence), never with the key.
      if (o.outcome === 'unauthorized' && o.streak === 1) logger.error({ event: 'upstream_unauthorized', err: o.error?.message }, 'upstream refused the API key (401/403): polling stopped, probing every 15 minutes; set a valid FEED_API_KEY (fly secrets set FEED_API_KEY=...)');
      else if (o.error && o.outcome !== 'unauthorized') logger.warn({ event: 'upstream_failure', outcome: o.outcome, err: o.error.message, durationMs: o.durationMs }, 'upstream poll failed; serving the last good snapshot');
    },
    onDeferred: (retryAt, err) => {
      metrics.budgetDeferred.inc({ reason: err ? 'store_unavailable' : 'window_full' });
      if (err) logger.warn({ event: 'upstream_budget_unavailable', err: err.message }, 'could not check the upstream budget in Redis; not polling until it answers');
      else logger.debug({ event: 'upstream_budget_deferred', retryAt }, 'upstream budget for the rolling hour is spent; next poll when a slot frees');
    },
    trace: (run) => traceUpstreamCall(feed.kind, run),
  });

  poller.setEnabled(false); // until the coordinator says this instance polls
  coordinator.on('leadership', (leader) => {
    const last = store.snapshot;
    if (leader && last && coordinator.versionJump > 0) store.adopt({ ...last, version: last.version + coordinator.versionJump });
    poller.setEnabled(leader);
  });
  coordinator.on('demand', () => poller.demandChanged());
  coordinator.on('data', ({ snapshot, delta }) => {
    store.adopt(snapshot);
    sink.broadcast({ t: 'data', snapshot, delta });
  });
  coordinator.on('state', (state) => sink.broadcast({ t: 'coordination', state }));
  coordinator.on('status', (status) => {
    leaderSuccessAt = newest(leaderSuccessAt, status.lastSuccessAt);
    sink.broadcast({ t: 'feed-status', status });
  });
  const demandChanged = () => {
    coordinator.localDemandChanged(localDemand());
    poller.demandChanged();
  };

  return {
    metrics,
    feedKind: feed.kind,
    coordinationKind: coordinator.kind,
    instanceId: coordinator.instanceId,
    report(id, report) {
      reports.set(id, report);
      demandChanged();
    },
    forget(id) {
      const last = reports.get(id);
      reports.delete(id);
      demandChanged();
      return last;
    },
    greet(id) {
      const snapshot = store.snapshot;
      sink.send(id, { t: 'feed-status', status: poller.feedStatus });
      sink.send(id, { t: 'coordination', state: coordinator.state() });
      if (snapshot) sink.send(id, { t: 'data', snapshot });
    },
    start: () => coordinator.start(),
    async stopPolling() {
      poller.stop();
      await budget?.close().catch(() => undefined);
    },
    stopCoordination: () => coordinator.stop().catch(() => undefined),
  };
}

/** The latest of some times (ms), or null when none is known. */
function newest(...times: (number | null)[]): number | null {
  const known = times.filter((t): t is number => t !== null);
  return known.length > 0 ? Math.max(...known) : null;
}

/** One instance alone, or several sharing REDIS_URL. */
function createCoordinator(config: Config, logger: Logger, pollIntervalMs: number, onDropped: (reason: DropReason) => void): Coordinator {
  if (!config.REDIS_URL) return new LocalCoordinator(config.INSTANCE_ID);
  return new RedisCoordinator({ url: config.REDIS_URL, prefix: config.REDIS_PREFIX, instanceId: config.INSTANCE_ID, logger, pollIntervalMs, onDropped });
}

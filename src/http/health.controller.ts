import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { SnapshotCache } from '../worker/snapshot-cache.js';
import { WORKER_CONTEXT, type WorkerContext } from '../worker/worker-context.js';
import { topologyReport } from './topology.js';

/**
 * `/healthz`: the process answers (liveness). `/readyz`: this worker takes traffic — down
 * while it drains; the feed is `degraded` (still 200) while upstream fails, refuses the key
 * (`unauthorized`), rate-limits (`rate_limited`) or before the first snapshot, because the last
 * good snapshot is still served. The feed check also reports the upstream budget and the
 * effective poll interval. The coordination check says whether this instance polls for the
 * deployment (`leader`), follows another (`follower`), or cannot reach Redis and why.
 */
@Controller()
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(HealthIndicatorService) private readonly indicator: HealthIndicatorService,
    @Inject(SnapshotCache) private readonly cache: SnapshotCache,
    @Inject(WORKER_CONTEXT) private readonly ctx: WorkerContext,
  ) {}

  @Get('healthz')
  @HealthCheck()
  alive() {
    return this.health.check([() => this.indicator.check('process').up({ worker: this.ctx.workerId })]);
  }

  @Get('readyz')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => {
        const session = this.indicator.check('worker');
        const data = { id: this.ctx.workerId };
        return this.ctx.isDraining() ? session.down({ ...data, message: 'draining' }) : session.up(data);
      },
      () => this.feed(),
      () => this.indicator.check('topology').up({ ...topologyReport(this.ctx.config, this.ctx.workerCount()) }),
      () => this.coordination(),
    ]);
  }

  /** `degraded` (still 200) while Redis does not answer: this instance serves the last snapshot. */
  private coordination() {
    const session = this.indicator.check('coordination');
    const state = this.ctx.coordination?.() ?? null;
    if (!state) return session.degraded({ state: 'unknown', reason: 'no word from the primary yet' });
    return state.state === 'connecting' || state.state === 'unreachable' ? session.degraded({ ...state }) : session.up({ ...state });
  }

  private feed() {
    const session = this.indicator.check('feed');
    const status = this.cache.feedStatus;
    const age = this.cache.ageSeconds();
    const data = {
      feed: this.ctx.config.FEED,
      state: status?.state ?? 'never',
      polling: status?.polling ?? false,
      dataAgeSeconds: age === null ? null : Math.round(age * 10) / 10,
      version: this.cache.snapshot?.version ?? 0,
      lastError: status?.lastError ?? null,
      // 'unauthorized' (401/403) and 'rate_limited' (429) are states of their own; notBefore is when the next call may start.
      notBefore: status?.notBefore ? new Date(status.notBefore).toISOString() : null,
      budget: status?.budget ?? null,
      // FEED=511: the agencies polled now (watched, or within DEMAND_GRACE_MS); the budget is split among them.
      ...(status?.watchedAgencies ? { watchedAgencies: status.watchedAgencies } : {}),
    };
    return status?.state === 'ok' ? session.up(data) : session.degraded(data);
  }
}

import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { CONFIG, WORKER_ID } from '../config/config.module.js';
import type { Config } from '../config/config.js';
import { SnapshotCache } from '../live/snapshot-cache.js';
import { WorkerState } from '../live/worker-state.js';
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
    @Inject(WorkerState) private readonly state: WorkerState,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(WORKER_ID) private readonly workerId: number,
  ) {}

  @Get('healthz')
  @HealthCheck()
  alive() {
    return this.health.check([() => this.indicator.check('process').up({ worker: this.workerId })]);
  }

  @Get('readyz')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => {
        const session = this.indicator.check('worker');
        const data = { id: this.workerId };
        return this.state.draining ? session.down({ ...data, message: 'draining' }) : session.up(data);
      },
      () => this.feed(),
      () => this.indicator.check('topology').up({ ...topologyReport(this.config, this.state.workers) }),
      () => this.coordination(),
    ]);
  }

  /** `degraded` (still 200) while Redis does not answer: this instance serves the last snapshot. */
  private coordination() {
    const session = this.indicator.check('coordination');
    const state = this.state.coordination;
    if (!state) return session.degraded({ state: 'unknown', reason: 'no word from the primary yet' });
    return state.state === 'connecting' || state.state === 'unreachable' ? session.degraded({ ...state }) : session.up({ ...state });
  }

  private feed() {
    const session = this.indicator.check('feed');
    const status = this.cache.feedStatus;
    const age = this.cache.ageSeconds();
    const data = {
      feed: this.config.FEED,
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

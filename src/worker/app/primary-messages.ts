import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { register } from 'prom-client';
import { PrimaryLink } from '../../ipc/primary-link.js';
import { SnapshotCache } from '../../live/snapshot-cache.js';
import { WorkerState } from '../../live/worker-state.js';
import { WorkerDirectory } from '../worker-directory.js';

/**
 * What the primary tells a worker, put where it belongs: snapshots and feed status into the
 * cache, the instance's coordination standing and its directory of workers into the state,
 * metric requests answered from prom-client's registry. Connections (`conn`) and the drain
 * order have their own owners (SessionRouting, the worker's entry).
 */
@Injectable()
export class PrimaryMessages implements OnApplicationBootstrap {
  constructor(
    @Inject(PrimaryLink) private readonly link: PrimaryLink,
    @Inject(SnapshotCache) private readonly cache: SnapshotCache,
    @Inject(WorkerState) private readonly state: WorkerState,
    @Inject(WorkerDirectory) private readonly directory: WorkerDirectory,
  ) {}

  onApplicationBootstrap(): void {
    this.link.on('data', (m) => this.cache.apply(m.snapshot, m.delta));
    this.link.on('feed-status', (m) => this.cache.setStatus(m.status));
    this.link.on('coordination', (m) => void (this.state.coordination = m.state));
    this.link.on('directory', (m) => {
      this.directory.update(m);
      this.state.workers = this.directory.size();
    });
    this.link.on('metrics-req', async (m) => this.link.send({ t: 'metrics-res', id: m.id, metrics: await register.getMetricsAsJSON() }));
  }
}

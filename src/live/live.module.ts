import { Global, Module } from '@nestjs/common';
import { WORKER_ID } from '../config/config.module.js';
import { PrimaryLink } from '../ipc/primary-link.js';
import { WorkerMetrics } from '../metrics/worker-metrics.js';
import { LiveSockets } from './live-sockets.js';
import { SnapshotCache } from './snapshot-cache.js';
import { ViewerReporter } from './viewer-reporter.js';
import { WorkerState } from './worker-state.js';

/**
 * A worker's live state, shared by its features (the gateway, the HTTP API, the session
 * guard): the primary's snapshot and feed status, the sockets and viewers it reports back,
 * its standing (draining, coordination), its counters, and the IPC link they travel on.
 */
@Global()
@Module({
  providers: [
    { provide: PrimaryLink, useFactory: () => new PrimaryLink(process) },
    SnapshotCache,
    LiveSockets,
    WorkerState,
    ViewerReporter,
    { provide: WorkerMetrics, inject: [WORKER_ID, LiveSockets], useFactory: (id: number, sockets: LiveSockets) => new WorkerMetrics(id, () => sockets.byTransport()) },
  ],
  exports: [PrimaryLink, SnapshotCache, LiveSockets, WorkerState, ViewerReporter, WorkerMetrics],
})
export class LiveModule {}

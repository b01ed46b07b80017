import { performance } from 'node:perf_hooks';
import type { Server } from 'socket.io';
import type { Delta, Snapshot } from '../domain/vehicle.js';
import { WorkerMetrics } from '../metrics/worker-metrics.js';
import { filterDelta, filterSnapshot, routeSetKey } from '../store/route-filter.js';
import type { CacheUpdate } from '../worker/snapshot-cache.js';
import type { SocketData } from './events.js';

/**
 * Fans one update out to this worker's clients. A client that holds the delta's base
 * version gets the (route-filtered) delta; any other client gets a fresh snapshot, so a
 * missed update can never leave a map wrong. Payloads are built once per subscription.
 */
export class Broadcaster {
  constructor(private readonly metrics: WorkerMetrics) {}

  broadcast(server: Server, update: CacheUpdate): void {
    const started = performance.now();
    const deltas = new Map<string, Delta>();
    const snapshots = new Map<string, Snapshot>();
    for (const socket of server.of('/').sockets.values()) {
      const data = socket.data as SocketData;
      const key = routeSetKey(data.routes);
      if (update.delta && data.version === update.delta.fromVersion) {
        let d = deltas.get(key);
        if (!d) deltas.set(key, (d = filterDelta(update.delta, data.routes, update.previous)));
        socket.emit('vehicles:delta', d);
      } else {
        let s = snapshots.get(key);
        if (!s) snapshots.set(key, (s = filterSnapshot(update.snapshot, data.routes)));
        socket.emit('vehicles:snapshot', s);
      }
      data.version = update.snapshot.version;
    }
    this.metrics.broadcastDuration.observe((performance.now() - started) / 1000);
  }
}

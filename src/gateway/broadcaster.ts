import { performance } from 'node:perf_hooks';
import { Inject, Injectable } from '@nestjs/common';
import type { Server } from 'socket.io';
import { WorkerMetrics } from '../metrics/worker-metrics.js';
import { filterDelta, filterSnapshot, type RouteSet } from '../store/route-filter.js';
import type { CacheUpdate } from '../live/snapshot-cache.js';
import type { SocketData } from './events.js';

/** Clients that receive the same packet: one route set of one agency, and either the delta or a snapshot. */
interface Group {
  routes: RouteSet;
  agency: string | null;
  delta: boolean;
  ids: string[];
}

/**
 * Fans one update out to this worker's clients. A client that holds the delta's base
 * version gets the (route-filtered) delta; any other client gets a fresh snapshot, so a
 * missed update can never leave a map wrong.
 *
 * Clients are grouped by what they receive (route set × delta-or-snapshot) and each group
 * gets one `local.to(ids).emit`: socket.io's broadcast path encodes the packet once and
 * writes the same frames to every member, where `socket.emit` per client would build and
 * encode the JSON once per client. Each worker fans out its own clients: the primary sends
 * every worker the same update over IPC, so nothing is relayed between workers.
 */
@Injectable()
export class Broadcaster {
  constructor(@Inject(WorkerMetrics) private readonly metrics: Pick<WorkerMetrics, 'broadcastDuration'>) {}

  broadcast(server: Server, update: CacheUpdate): void {
    const started = performance.now();
    const groups = new Map<string, Group>();
    for (const socket of server.of('/').sockets.values()) {
      const data = socket.data as SocketData;
      const delta = update.delta !== undefined && data.version === update.delta.fromVersion;
      const key = `${delta ? 'd' : 's'}:${data.groupKey}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { routes: data.routes, agency: data.agency, delta, ids: [] }));
      g.ids.push(socket.id);
      data.version = update.snapshot.version;
    }
    for (const g of groups.values()) {
      // One group is every client (the usual case: all current, all routes): no room lookups.
      const to = groups.size === 1 ? server.local : server.local.to(g.ids);
      if (g.delta) to.emit('vehicles:delta', filterDelta(update.delta!, g.routes, update.previous, g.agency));
      else to.emit('vehicles:snapshot', filterSnapshot(update.snapshot, g.routes, g.agency));
    }
    this.metrics.broadcastDuration.observe((performance.now() - started) / 1000);
  }
}

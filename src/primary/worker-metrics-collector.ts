import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { WorkerMessage } from '../ipc/messages.js';
import type { MetricsSource } from '../metrics/metrics-server.js';
import type { Supervisor } from './supervisor.js';

export type MetricJson = MetricObjectWithValues<MetricValue<string>>;

/** A worker's registry as prom-client's `getMetricsAsJSON()` gives it (checked, not assumed: the IPC channel carries `unknown`). */
export function isMetricList(list: readonly unknown[]): list is MetricJson[] {
  return list.every((m) => typeof m === 'object' && m !== null && 'name' in m && typeof m.name === 'string' && 'type' in m && typeof m.type === 'string' && 'values' in m && Array.isArray(m.values));
}
type Pending = { want: Set<number>; got: Map<number, MetricJson[]>; done: () => void };

/** Pulls each worker's prom-client registry over the IPC channel, for one scrape. */
export class WorkerMetricsCollector implements Pick<MetricsSource, 'collectWorkers'> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly supervisor: Supervisor) {}

  collectWorkers(timeoutMs: number): Promise<Map<number, MetricJson[]>> {
    const id = this.nextId++;
    const want = new Set(this.supervisor.entries().map((e) => e.id));
    return new Promise((resolve) => {
      const got = new Map<number, MetricJson[]>();
      const done = () => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(got);
      };
      const timer = setTimeout(done, timeoutMs);
      this.pending.set(id, { want, got, done });
      if (want.size === 0) return done();
      for (const w of want) this.supervisor.send(w, { t: 'metrics-req', id });
    });
  }

  receive(workerId: number, msg: Extract<WorkerMessage, { t: 'metrics-res' }>): void {
    const p = this.pending.get(msg.id);
    if (!p || !p.want.has(workerId)) return;
    p.got.set(workerId, isMetricList(msg.metrics) ? msg.metrics : []);
    if (p.got.size === p.want.size) p.done();
  }
}

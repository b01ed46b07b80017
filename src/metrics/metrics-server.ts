import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { Logger } from 'pino';
import { WORKER_LABEL } from './metric-names.js';

type MetricJson = MetricObjectWithValues<MetricValue<string>>;

/** How long a scrape waits for a worker's metrics before it leaves that worker out. */
export const WORKER_METRICS_TIMEOUT_MS = 2_000;
/**
 * A rendering is reused this long: every scrape asks each worker over IPC and aggregates, so
 * a client hammering `/metrics` must not cost that per request (Prometheus scrapes every 15 s).
 */
export const METRICS_CACHE_MS = 250;

export interface MetricsSource {
  /** Asks every live worker for its metrics; resolves with those that answered in time. */
  collectWorkers(timeoutMs: number): Promise<Map<number, MetricJson[]>>;
  primaryMetrics(): Promise<MetricJson[]>;
}

/**
 * Serves `/metrics` for the whole instance: the primary's registry plus every worker's,
 * summed by prom-client's aggregators. Counters of departed workers are kept (their last
 * values), so an instance-wide counter never goes backwards when a worker is recycled.
 */
export class MetricsServer {
  private readonly server: http.Server;
  private readonly lastSeen = new Map<number, MetricJson[]>();
  private retired: MetricJson[] = [];
  /** The rendering under way (concurrent scrapes share it) or the newest one, with its time. */
  private rendering: { settledAt?: number; result: Promise<{ text: string; contentType: string }> } | undefined;

  constructor(
    private readonly source: MetricsSource,
    private readonly logger: Logger,
  ) {
    this.server = http.createServer((req, res) => void this.handle(req, res));
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** A worker's newest metrics (from a scrape, or its final report before exiting). */
  remember(workerId: number, metrics: MetricJson[]): void {
    this.lastSeen.set(workerId, metrics);
  }

  /** Folds a departed worker's counters and histograms into the retired totals. */
  async retire(workerId: number): Promise<void> {
    const last = this.lastSeen.get(workerId);
    this.lastSeen.delete(workerId);
    if (!last) return;
    const monotonic = last.filter((m) => m.name.startsWith('transit_') && ['counter', 'histogram'].includes(String(m.type)));
    this.retired = await AggregatorRegistry.aggregate([this.retired, monotonic]).getMetricsAsJSON();
  }

  /** The instance's metrics in Prometheus text format: single-flight, reused for {@link METRICS_CACHE_MS}. */
  render(): Promise<{ text: string; contentType: string }> {
    const r = this.rendering;
    if (r && (r.settledAt === undefined || performance.now() - r.settledAt < METRICS_CACHE_MS)) return r.result;
    const entry: { settledAt?: number; result: Promise<{ text: string; contentType: string }> } = { result: this.renderNow() };
    this.rendering = entry;
    entry.result.then(
      () => (entry.settledAt = performance.now()),
      // A failed rendering is not reused.
      () => this.rendering === entry && (this.rendering = undefined),
    );
    return entry.result;
  }

  private async renderNow(): Promise<{ text: string; contentType: string }> {
    const workers = await this.source.collectWorkers(WORKER_METRICS_TIMEOUT_MS);
    for (const [id, m] of workers) this.remember(id, m);
    const all = [await this.source.primaryMetrics(), this.retired, ...workers.values()].map(keepPerProcessSeries);
    const registry = AggregatorRegistry.aggregate(all);
    return { text: await registry.metrics(), contentType: registry.contentType };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.url !== '/metrics' || req.method !== 'GET') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found: metrics are at GET /metrics\n');
      return;
    }
    try {
      const { text, contentType } = await this.render();
      res.writeHead(200, { 'Content-Type': contentType }).end(text);
    } catch (error) {
      this.logger.error({ err: error }, 'metrics scrape failed; check the worker IPC channel');
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end('metrics aggregation failed\n');
    }
  }
}

/**
 * prom-client marks `process_start_time_seconds` with the `omit` aggregator, which drops it
 * from an aggregate altogether (so "Uptime by worker" had no data). Every process labels
 * its default metrics with its own `worker` value, so nothing is merged across processes:
 * such a metric is kept as one series per process (`first` of each label set).
 */
function keepPerProcessSeries(metrics: MetricJson[]): MetricJson[] {
  return metrics.map((m) =>
    m.aggregator === 'omit' && m.values.length > 0 && m.values.every((v) => v.labels[WORKER_LABEL] !== undefined) ? { ...m, aggregator: 'first' } : m,
  );
}

/**
 * "Transit Tracker — Workers" (uid transit-workers): prom-client's per-process default
 * metrics, which carry a `worker` label ("primary", "1", "2", ...), plus restarts.
 */
import { WORKER_LABEL } from '../../src/metrics/metric-names.ts';
import { dashboard, dashboardLink, row, timeseries, workerRestartsPanel, type JsonObject } from './grafana.ts';
import { scopeVariables, workerVariable } from './variables.ts';

export const WORKERS_UID = 'transit-workers';

/** prom-client default metrics these panels read (collectDefaultMetrics, labels { worker }). */
export const DEFAULT_METRICS_USED = [
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'process_start_time_seconds',
  'nodejs_heap_size_used_bytes',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_active_handles_total',
  'nodejs_gc_duration_seconds',
] as const;

const W = WORKER_LABEL;

export function workersDashboard(): JsonObject {
  return dashboard({
    uid: WORKERS_UID,
    title: 'Transit Tracker — Workers',
    description:
      'Per-process health of the primary and each worker (prom-client default metrics, label "worker"). ' +
      'A worker whose uptime keeps resetting is being recycled or crashing; event-loop lag near WORKER_TIMEOUT_MS gets it killed.',
    links: [dashboardLink('Overview', 'transit-overview')],
    variables: [...scopeVariables(), workerVariable()],
    panels: [
      row('Processes'),
      timeseries({
        title: 'CPU by worker',
        description: 'CPU time per second of each process (1 = one full core).',
        queries: [{ expr: `sum by (${W}) (rate(process_cpu_seconds_total[5m]))`, legend: `{{${W}}}` }],
        unit: 'percentunit',
      }),
      timeseries({
        title: 'Event-loop lag (p99) by worker',
        description: 'p99 event-loop delay of each process. Sustained lag delays heartbeats (WORKER_TIMEOUT_MS) and fan-out.',
        queries: [{ expr: `max by (${W}) (nodejs_eventloop_lag_p99_seconds)`, legend: `{{${W}}}` }],
        unit: 's',
      }),
      timeseries({
        title: 'Resident memory by worker',
        queries: [{ expr: `sum by (${W}) (process_resident_memory_bytes)`, legend: `{{${W}}}` }],
        unit: 'bytes',
      }),
      timeseries({
        title: 'Heap used by worker',
        queries: [{ expr: `sum by (${W}) (nodejs_heap_size_used_bytes)`, legend: `{{${W}}}` }],
        unit: 'bytes',
      }),
      timeseries({
        title: 'GC time by worker',
        description: 'Seconds spent in garbage collection per second.',
        queries: [{ expr: `sum by (${W}) (rate(nodejs_gc_duration_seconds_sum[5m]))`, legend: `{{${W}}}` }],
        unit: 'percentunit',
      }),
      timeseries({
        title: 'Active handles by worker',
        description: 'Open sockets, timers and other libuv handles: grows with connected clients.',
        queries: [{ expr: `sum by (${W}) (nodejs_active_handles_total)`, legend: `{{${W}}}` }],
      }),

      row('Lifecycle'),
      timeseries({
        title: 'Uptime by worker',
        description: 'Seconds since each process started; a drop to 0 is a restart.',
        queries: [{ expr: `max by (${W}) (time() - process_start_time_seconds)`, legend: `{{${W}}}` }],
        unit: 's',
      }),
      workerRestartsPanel(),
    ],
  });
}

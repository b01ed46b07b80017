import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import type { ViewerReport } from '../demand/demand.js';
import type { PrimaryMessage, WorkerEntry } from '../ipc/messages.js';
import { MAX_GONE_WORKERS, Primary, type PrimaryDeps, type PrimarySignal, type PublicPort, type WorkerPool } from './arbiter.js';
import { dispatchWorkerMessage, type WorkerMessageHandlers } from './ipc-dispatch.js';
import type { Polling } from './poll-wiring.js';
import type { RoutingTable } from './routing.js';
import type { SupervisorEvents } from './supervisor.js';

/** A worker pool without processes: ready workers on demand, every message recorded. */
class FakePool extends EventEmitter<SupervisorEvents> implements WorkerPool {
  list: WorkerEntry[] = [];
  sent: { id: number | 'all'; msg: PrimaryMessage }[] = [];
  recycled = 0;
  shutDown = false;
  start(): void {
    this.list = [1, 2].map((id) => ({ id, internalPort: 4000 + id, draining: false, responsive: true }));
    this.emit('change');
  }
  async shutdown(): Promise<void> {
    this.shutDown = true;
  }
  entries(): WorkerEntry[] {
    return this.list;
  }
  readyCount(): number {
    return this.list.filter((e) => !e.draining).length;
  }
  send(id: number, msg: PrimaryMessage): void {
    this.sent.push({ id, msg });
  }
  broadcast(msg: PrimaryMessage): void {
    this.sent.push({ id: 'all', msg });
  }
  recycleAll(): number[] {
    this.recycled += 1;
    return this.list.filter((e) => !e.draining).map((e) => e.id);
  }
}

function setup() {
  const pool = new FakePool();
  const registry = new Registry();
  const counter = (name: string, labelNames: string[]) => new Counter({ name, help: name, labelNames, registers: [registry] });
  const reports = new Map<number, ViewerReport>();
  const calls: string[] = [];
  const polling: Polling = {
    metrics: { registry, workerRestarts: counter('restarts', ['reason']), sessionsLost: counter('lost', ['cause']), routerRefused: counter('refused', ['reason']) },
    feedKind: 'mock',
    coordinationKind: 'local',
    instanceId: 'test',
    report: (id, r) => void reports.set(id, r),
    forget: (id) => {
      const last = reports.get(id);
      reports.delete(id);
      return last;
    },
    greet: (id) => calls.push(`greet ${id}`),
    start: async () => void calls.push('polling start'),
    stopPolling: async () => void calls.push('polling stop'),
    stopCoordination: async () => void calls.push('coordination stop'),
  };
  const router = { acked: [] as number[], closed: [] as number[], gone: [] as number[] };
  let table: () => RoutingTable = () => ({ accepting: [], alive: new Set() });
  const publicPort: PublicPort = {
    listen: async () => 8080,
    close: async () => void calls.push('router close'),
    acknowledged: (c) => void router.acked.push(...c),
    closed: (c) => void router.closed.push(...c),
    workerGone: (id) => void router.gone.push(id),
  };
  const remembered = new Map<number, unknown[]>();
  const received: number[] = [];
  const signals = new Map<PrimarySignal, () => void>();
  const exits: number[] = [];
  const deps: PrimaryDeps = {
    logger: pino({ level: 'silent' }),
    workers: pool,
    polling,
    createRouter: (t) => {
      table = t;
      return publicPort;
    },
    metricsServer: {
      remember: (id, m) => void remembered.set(id, m),
      retire: async (id) => void calls.push(`retire ${id}`),
      listen: async () => 9090,
      close: async () => void calls.push('metrics close'),
    },
    collector: { receive: (id) => void received.push(id) },
    onSignal: (s, h) => void signals.set(s, h),
    exit: (code) => void exits.push(code),
    flushTracing: async () => undefined,
    stopTracing: async () => undefined,
  };
  const settings = { PORT: 0, HOST: '127.0.0.1', METRICS_PORT: 0, METRICS_HOST: '127.0.0.1', WEB_CONCURRENCY: 2, GRACEFUL_TIMEOUT_MS: 5000, STICKY: true };
  const primary = new Primary(settings, deps);
  return { primary, pool, polling, reports, router, table: () => table(), remembered, received, signals, exits, calls, registry };
}

const metricJson = [{ name: 'transit_x_total', help: 'x', type: 'counter', aggregator: 'sum', values: [{ value: 3, labels: {} }] }];

describe('dispatchWorkerMessage', () => {
  it('hands each message type to its own handler only', () => {
    const seen: string[] = [];
    const handlers: WorkerMessageHandlers = {
      ready: (id, m) => seen.push(`ready ${id} ${m.internalPort}`),
      viewers: (id, m) => seen.push(`viewers ${id} ${m.sockets}`),
      'recycle-me': (id, m) => seen.push(`recycle-me ${id} ${m.trigger}`),
      conns: (id, m) => seen.push(`conns ${id} ${m.acked.length}/${m.closed.length}`),
      'metrics-res': (id, m) => seen.push(`metrics-res ${id} ${m.id}`),
    };
    dispatchWorkerMessage(handlers, 1, { t: 'ready', internalPort: 4001 });
    dispatchWorkerMessage(handlers, 2, { t: 'viewers', sockets: 5, lastFallbackAt: 0 });
    dispatchWorkerMessage(handlers, 1, { t: 'recycle-me', trigger: 'memory', sessions: 3, rssBytes: 1 });
    dispatchWorkerMessage(handlers, 2, { t: 'conns', acked: [1, 2], closed: [3] });
    dispatchWorkerMessage(handlers, 1, { t: 'metrics-res', id: 7, metrics: [] });
    expect(seen).toEqual(['ready 1 4001', 'viewers 2 5', 'recycle-me 1 memory', 'conns 2 2/1', 'metrics-res 1 7']);
  });
});

describe('Primary', () => {
  it('start: polling first, then the workers; the routing table and directory follow the pool; every signal is answered', async () => {
    const s = setup();
    await s.primary.start();
    expect(s.calls[0]).toBe('polling start');
    expect(s.table().accepting).toEqual([1, 2]);
    expect(s.primary.route()).toBe(s.table());
    expect([...s.signals.keys()].sort()).toEqual(['SIGHUP', 'SIGINT', 'SIGTERM']);
    s.pool.list[0]!.draining = true;
    s.pool.list[1]!.responsive = false;
    s.pool.emit('change');
    expect(s.table().accepting).toEqual([]);
    expect([...s.table().alive]).toEqual([1, 2]);
    expect(s.pool.sent.at(-1)).toEqual({ id: 'all', msg: { t: 'directory', workers: s.pool.list, gone: {} } });
  });

  it('routes worker messages by type: greetings, viewer reports, connection acks, metrics', () => {
    const s = setup();
    s.pool.emit('message', 1, { t: 'ready', internalPort: 4001 });
    s.pool.emit('message', 2, { t: 'viewers', sockets: 4, lastFallbackAt: 10 });
    s.pool.emit('message', 2, { t: 'conns', acked: [5], closed: [6, 7] });
    s.pool.emit('message', 1, { t: 'metrics-res', id: 3, metrics: metricJson });
    s.pool.emit('message', 2, { t: 'metrics-res', id: 0, metrics: metricJson });
    s.pool.emit('message', 1, { t: 'metrics-res', id: 0, metrics: [{ not: 'a metric' }] });
    expect(s.calls).toContain('greet 1');
    expect(s.reports.get(2)).toEqual({ sockets: 4, lastFallbackAt: 10, agencies: undefined });
    expect(s.router).toMatchObject({ acked: [5], closed: [6, 7] });
    expect(s.received).toEqual([1, 2, 1]);
    // Only the worker's own push (id 0) is kept, and only if it is a metric list.
    expect([...s.remembered.keys()]).toEqual([2]);
  });

  it('reapWorker: a killed worker’s reported sessions count as lost, a drained one’s do not; gone stays bounded', async () => {
    const s = setup();
    s.pool.emit('message', 1, { t: 'viewers', sockets: 6, lastFallbackAt: 0 });
    s.pool.emit('message', 2, { t: 'viewers', sockets: 9, lastFallbackAt: 0 });
    s.pool.emit('gone', 1, 'worker_died');
    s.pool.emit('gone', 2, 'worker_recycled');
    expect(s.reports.size).toBe(0);
    expect(s.router.gone).toEqual([1, 2]);
    expect(s.calls).toEqual(expect.arrayContaining(['retire 1', 'retire 2']));
    expect(await s.registry.getSingleMetricAsString('lost')).toMatch(/lost\{cause="worker_died"\} 6/);
    expect(await s.registry.getSingleMetricAsString('lost')).not.toMatch(/worker_recycled/);
    for (let id = 3; id < MAX_GONE_WORKERS + 10; id++) s.primary.reapWorker(id, 'worker_recycled');
    expect(s.primary.goneWorkers.size).toBe(MAX_GONE_WORKERS);
    expect(s.primary.goneWorkers.has(1)).toBe(false);
    expect(s.primary.goneWorkers.get(MAX_GONE_WORKERS + 9)).toBe('worker_recycled');
  });

  it('SIGHUP recycles every worker through the pool and keeps running; SIGTERM drains in order and exits 0 once; SIGHUP after it does nothing', async () => {
    const s = setup();
    await s.primary.start();
    s.signals.get('SIGHUP')!();
    expect(s.pool.recycled).toBe(1);
    expect(s.primary.recycle()).toEqual([1, 2]);
    expect(s.exits).toEqual([]);
    expect(s.pool.shutDown).toBe(false);
    s.calls.length = 0;
    await Promise.all([s.primary.handleSignal('SIGTERM'), s.primary.handleSignal('SIGINT')]);
    expect(s.pool.shutDown).toBe(true);
    expect(s.calls).toEqual(['polling stop', 'coordination stop', 'router close', 'metrics close']);
    expect(s.exits).toEqual([0]);
    expect(s.primary.recycle()).toEqual([]);
    expect(s.pool.recycled).toBe(2);
  });

  it('counts restarts, and exits 3 when every worker fails to boot', async () => {
    const s = setup();
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    s.pool.emit('restart', 'crash');
    s.pool.emit('boot-failure', { crashes: 5, code: 1, signal: null });
    await vi.waitFor(() => expect(s.exits).toEqual([3]));
    expect(await s.registry.getSingleMetricAsString('restarts')).toMatch(/restarts\{reason="crash"\} 1/);
    vi.restoreAllMocks();
  });
});

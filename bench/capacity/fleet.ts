/**
 * The client side of one capacity measurement: `generators` child processes holding `clients`
 * socket.io-client clients of one kind on a target, connected at max(100, N/8) a second.
 * Used by a benchmark step and by the profiling script alike.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fork, type ChildProcess } from 'node:child_process';
import type { ClientKind, ErrorCounts, GeneratorCommand, GeneratorEvent } from './generator.ts';

/** How long one client may take to connect before it counts as lost. */
export const CONNECT_TIMEOUT_MS = 20_000;

type Report = Extract<GeneratorEvent, { t: 'report' }>;

export class Fleet {
  private readonly gens: ChildProcess[] = [];
  private readonly progress = new Map<ChildProcess, { connected: number; settled: number }>();
  private readonly reports = new Map<ChildProcess, Report>();
  /** Connects a second (all generators together). */
  readonly rate: number;
  readonly clients: number;

  constructor(url: string, kind: ClientKind, clients: number, generators: number) {
    this.clients = clients;
    this.rate = Math.max(100, clients / 8);
    const counts = Array.from({ length: generators }, (_, i) => Math.floor(clients / generators) + (i < clients % generators ? 1 : 0));
    for (const count of counts) {
      const g = fork(new URL('./generator.ts', import.meta.url), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      g.on('message', (e: GeneratorEvent) => (e.t === 'progress' ? this.progress.set(g, e) : this.reports.set(g, e)));
      g.send({ t: 'start', url, kind, count, rate: this.rate / generators, connectTimeoutMs: CONNECT_TIMEOUT_MS } satisfies GeneratorCommand);
      this.gens.push(g);
    }
  }

  get pids(): number[] {
    return this.gens.map((g) => g.pid!);
  }

  /** Clients that connected or gave up so far. */
  settled(): number {
    return [...this.progress.values()].reduce((a, p) => a + p.settled, 0);
  }

  /** Resolves once every client connected or gave up (or the connect phase's deadline passed). */
  async untilSettled(): Promise<void> {
    const until = Date.now() + (this.clients / this.rate) * 1000 + CONNECT_TIMEOUT_MS + 2_000;
    while (this.settled() < this.clients && Date.now() < until) await sleep(200);
  }

  /** Every generator's figures for versions generated in [from, to]. */
  async report(from: number, to: number): Promise<{ list: Report[]; errors: ErrorCounts }> {
    for (const g of this.gens) g.send({ t: 'report', from, to } satisfies GeneratorCommand);
    const reportBy = Date.now() + 30_000;
    while (this.reports.size < this.gens.length && Date.now() < reportBy) await sleep(100);
    const list = [...this.reports.values()];
    const errors: ErrorCounts = {};
    for (const r of list) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
    const unsettled = this.clients - this.settled();
    if (unsettled > 0) errors.lost_connect = (errors.lost_connect ?? 0) + unsettled;
    return { list, errors };
  }

  /** Closes every client and waits for the generators to exit (SIGKILL after 10 s). */
  async stop(): Promise<void> {
    for (const g of this.gens) if (g.connected) g.send({ t: 'stop' } satisfies GeneratorCommand);
    await Promise.all(
      this.gens.map(
        (g) =>
          new Promise<void>((r) => {
            if (g.exitCode !== null || g.signalCode !== null) return r();
            const kill = setTimeout(() => g.kill('SIGKILL'), 10_000);
            g.once('exit', () => (clearTimeout(kill), r()));
          }),
      ),
    );
  }
}

/**
 * What a target costs with no client at all: per process the CPU and the wakeups a second
 * (voluntary context switches of the main thread). A timer that fires 100 times a second in
 * every process (prom-client's default event-loop sampling did) shows here long before it
 * shows in a loaded step, where it is a fixed cost under every figure.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { contextSwitches, cpuSeconds } from './proc-stats.ts';
import { serverPids } from './step.ts';
import type { Target } from './targets.ts';

export interface IdleProcess {
  role: string;
  /** Cores used on average over the window (1 = one core busy). */
  cores: number;
  wakeupsPerS: number;
}

export interface IdleResult {
  target: Target['name'];
  windowS: number;
  processes: IdleProcess[];
}

/** Measures `target` for `windowS` seconds, after `settleMs` for its startup work to end. */
export async function measureIdle(target: Target, windowS: number, settleMs = 5_000): Promise<IdleResult> {
  await sleep(settleMs);
  const pids = serverPids(target);
  const read = () => pids.map((p) => ({ cpu: cpuSeconds(p) ?? 0, wake: contextSwitches(p)?.voluntary ?? 0 }));
  const a = read();
  const t0 = Date.now();
  await sleep(windowS * 1000);
  const b = read();
  const wall = (Date.now() - t0) / 1000;
  return {
    target: target.name,
    windowS: wall,
    processes: pids.map((_, i) => ({
      role: i === 0 ? 'primary' : `worker ${i}`,
      cores: (b[i]!.cpu - a[i]!.cpu) / wall,
      wakeupsPerS: (b[i]!.wake - a[i]!.wake) / wall,
    })),
  };
}

/** One line: total millicores and wakeups, then per process. */
export function formatIdle(r: IdleResult): string {
  const m = (c: number) => `${(c * 1000).toFixed(1)} mcores`;
  const total = r.processes.reduce((a, p) => ({ cores: a.cores + p.cores, wake: a.wake + p.wakeupsPerS }), { cores: 0, wake: 0 });
  const each = r.processes.map((p) => `${p.role} ${m(p.cores)} / ${p.wakeupsPerS.toFixed(0)} wakeups/s`).join(', ');
  return `idle ${r.target.padEnd(9)} ${m(total.cores)}, ${total.wake.toFixed(0)} wakeups/s (${each})`;
}

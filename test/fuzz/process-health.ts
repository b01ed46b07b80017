import { childrenOf, rssKiB } from '../../bench/capacity/proc-stats.ts';
import type { Topology } from '../support/topology.js';

/** The processes of a topology (primary and its worker children) and their resident memory in MiB. */
export interface ProcessReading {
  primary: { pid: number; rssMiB: number | null };
  workers: { pid: number; rssMiB: number | null }[];
}

const mib = (kib: number | null) => (kib === null ? null : Math.round(kib / 102.4) / 10);

/** Reads /proc/<pid>/status (VmRSS) of the primary and of every child it has now. */
export function readProcesses(app: Topology): ProcessReading {
  const pid = app.proc.pid!;
  return {
    primary: { pid, rssMiB: mib(rssKiB(pid)) },
    workers: childrenOf(pid)
      .sort((a, b) => a - b)
      .map((w) => ({ pid: w, rssMiB: mib(rssKiB(w)) })),
  };
}

/** Log lines that say a process died or misbehaved, and any stack trace printed anywhere. */
export function troubleIn(app: Topology, sinceLine: number): string[] {
  const out: string[] = [];
  for (const l of app.logs.slice(sinceLine)) {
    const text = JSON.stringify(l);
    if (l.event === 'worker_exit' || l.event === 'worker_timeout' || l.event === 'worker_recycle') out.push(`log: ${text.slice(0, 300)}`);
    else if (typeof l.level === 'number' && l.level >= 50) out.push(`error log: ${text.slice(0, 300)}`);
    else if (/\\n\s+at \S/.test(text)) out.push(`stack trace in a log line: ${text.slice(0, 300)}`);
  }
  const stderr = app.stderr();
  if (/\n\s+at \S/.test(stderr)) out.push(`stack trace on stderr: ${stderr.slice(0, 500)}`);
  return out;
}

/** Log lines since `sinceLine` by pino level name: how loud the fuzz made the service. */
export function logLevels(app: Topology, sinceLine: number): Record<string, number> {
  const names: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
  const out: Record<string, number> = {};
  for (const l of app.logs.slice(sinceLine)) {
    const name = names[l.level as number] ?? String(l.level);
    out[name] = (out[name] ?? 0) + 1;
  }
  return out;
}

/** V8 heap in use per process (`nodejs_heap_size_used_bytes` of the primary's /metrics), in MiB. */
export async function heapUsedMiB(metricsPort: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^nodejs_heap_size_used_bytes\{[^}]*worker="([^"]+)"[^}]*\} (\S+)/gm)) out[m[1]!] = Math.round(Number(m[2]) / 2 ** 20);
  return out;
}

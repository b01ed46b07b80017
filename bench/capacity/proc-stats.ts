/**
 * What the kernel says about processes and the machine (Linux `/proc`), for the capacity
 * benchmark: CPU seconds and resident memory per process, the machine's busy time, and the
 * children of a process (the workers of a primary). Readings of a process that has exited
 * are `null`, never a throw: a benchmark step must still print what it measured.
 */
import { readFileSync } from 'node:fs';

/** Kernel clock ticks per second (`getconf CLK_TCK`); 100 on every Linux Node supports. */
const CLK_TCK = 100;

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** User + system CPU seconds `pid` has used so far. */
export function cpuSeconds(pid: number): number | null {
  const stat = read(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // Fields after the command name (which may hold spaces) start at field 3 (state).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Resident set size of `pid`, in KiB. */
export function rssKiB(pid: number): number | null {
  const m = /VmRSS:\s+(\d+) kB/.exec(read(`/proc/${pid}/status`) ?? '');
  return m ? Number(m[1]) : null;
}

/** Direct children of `pid` (every thread's list). */
export function childrenOf(pid: number): number[] {
  const tasks = read(`/proc/${pid}/task/${pid}/children`);
  return tasks === null ? [] : tasks.trim().split(/\s+/).filter(Boolean).map(Number);
}

/** Busy and total CPU seconds of the whole machine (all cores) since boot. */
export function machineSeconds(): { busy: number; total: number } {
  const line = (read('/proc/stat') ?? '').split('\n')[0] ?? '';
  const [, ...ticks] = line.trim().split(/\s+/);
  const n = ticks.map(Number);
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (n[3] ?? 0) + (n[4] ?? 0);
  return { busy: (total - idle) / CLK_TCK, total: total / CLK_TCK };
}

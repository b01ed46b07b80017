/**
 * What the kernel says about processes and the machine (Linux `/proc`), for the capacity
 * benchmark: CPU seconds and resident memory per process, the machine's busy time, and the
 * children of a process (the workers of a primary). Readings of a process that has exited
 * are `null`, never a throw: a benchmark step must still print what it measured.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Kernel clock ticks per second (`getconf CLK_TCK`); 100 on every Linux Node supports. */
const CLK_TCK = 100;

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** What this file reads from a `stat` file (a process's or one thread's). */
export interface Stat {
  name: string;
  /** CPU seconds in user mode and in the kernel. */
  user: number;
  system: number;
  /** Minor page faults (each a page the kernel had to map, zeroed first if new). */
  minflt: number;
}

function statOf(path: string): Stat | null {
  const stat = read(path);
  if (stat === null) return null;
  // Fields after the command name (which may hold spaces) start at field 3 (state): minflt is field 10, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
    user: Number(fields[11]) / CLK_TCK,
    system: Number(fields[12]) / CLK_TCK,
    minflt: Number(fields[7]),
  };
}

/** `pid`'s name, CPU seconds and minor page faults so far, from one read of its `stat` file. */
export function processStat(pid: number): Stat | null {
  return statOf(`/proc/${pid}/stat`);
}

/** User + system CPU seconds `pid` has used so far. */
export function cpuSeconds(pid: number): number | null {
  const s = processStat(pid);
  return s === null ? null : s.user + s.system;
}

/** User and kernel CPU seconds `pid` has used so far. */
export function cpuSplit(pid: number): { user: number; system: number } | null {
  const s = processStat(pid);
  return s === null ? null : { user: s.user, system: s.system };
}

/** User and kernel CPU seconds per thread of `pid`, by thread id, with the thread's name. */
export function threadSplits(pid: number): Map<number, { name: string; user: number; system: number }> {
  const out = new Map<number, { name: string; user: number; system: number }>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    const s = statOf(`/proc/${pid}/task/${tid}/stat`);
    if (s) out.set(Number(tid), s);
  }
  return out;
}

/** Voluntary and involuntary context switches of `pid`'s main thread so far (each voluntary one is a wait: epoll, a lock). */
export function contextSwitches(pid: number): { voluntary: number; involuntary: number } | null {
  const status = read(`/proc/${pid}/status`);
  if (status === null) return null;
  const v = /voluntary_ctxt_switches:\s+(\d+)/.exec(status);
  const n = /nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status);
  return { voluntary: Number(v?.[1] ?? 0), involuntary: Number(n?.[1] ?? 0) };
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

#!/usr/bin/env node
/**
 * Where one target spends its CPU while it holds N clients of one kind: per process the user
 * and kernel time and context switches (from /proc), per thread name the same, IPC messages a
 * second by kind (`--ipc`, the ipc-count.ts preload), syscalls a second (`--strace S`: strace -c
 * on every server process for S s, after the clean window, since strace slows what it
 * traces), V8 CPU profiles of every server process over the window (`--cpu-prof`, window-profile.ts),
 * minor page faults a second (from /proc), garbage collections a second by kind with their pause
 * and the new space's size (`--gc`, the gc-count.ts preload), and sampling heap profiles of the
 * window (`--alloc-prof`, alloc-profile.ts; `--promoted-prof`: only what outlived the young
 * generation). `--handle-queue` samples the primary's per-worker queue of connections waiting
 * for a handle acknowledgement (handle-queue.ts). `--warm S` holds the clients S s before the window.
 * `--plain-worker` (service only) runs plain Socket.IO workers behind the service's primary
 * (plain-worker.ts): the process model without the worker's application.
 * Short and focused where `main.ts` ramps; prints figures, writes artifacts/profile-<time>/.
 *
 * node bench/capacity/profile.ts --target service|reference --kind polling-xhr --clients 2000
 *      [--warm 5] [--window 10] [--generators 2] [--ipc] [--strace 5] [--cpu-prof] [--gc] [--alloc-prof | --promoted-prof] [--handle-queue] [--plain-worker]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { numberArg, stringArg } from '../args.ts';
import { Fleet } from './fleet.ts';
import type { ClientKind } from './generator.ts';
import { contextSwitches, cpuSplit, processStat, threadSplits } from './proc-stats.ts';
import { fanoutFigures, type VersionReceipts } from './receipts.ts';
import { serverPids } from './step.ts';
import { startReference, startService, type Target } from './targets.ts';

const has = (name: string) => process.argv.includes(`--${name}`);
const targetName = (stringArg('target') ?? 'service') as Target['name'];
const kind = (stringArg('kind') ?? 'polling-xhr') as ClientKind;
const clients = numberArg('clients', 1000);
const windowS = numberArg('window', 10);
const generators = numberArg('generators', 2);
const plainWorker = has('plain-worker');
if (plainWorker && targetName !== 'service') throw new Error('--plain-worker replaces the service\'s workers: use it with --target service');
const straceS = has('strace') ? numberArg('strace', 5) : 0;
const warmS = numberArg('warm', 5);

/**
 * The preloads the options ask for, each acting on profile.ts's SIGWINCH. The counters come
 * first: their handlers write their files before the profilers' handlers start (starting a
 * heap profile on a large heap takes longer than reading() waits).
 */
const PRELOADS: Record<string, string> = { ipc: 'ipc-count.ts', 'handle-queue': 'handle-queue.ts', gc: 'gc-count.ts', 'cpu-prof': 'window-profile.ts', 'alloc-prof': 'alloc-profile.ts', 'promoted-prof': 'alloc-profile.ts' };
const preloads = [
  ...new Set(
    Object.entries(PRELOADS)
      .filter(([option]) => has(option))
      .map(([, file]) => file),
  ),
];

const started = new Date();
const out = path.resolve(import.meta.dirname, '../../artifacts', `profile-${targetName}${plainWorker ? "-plain-worker" : ""}-${kind}-${clients}-${started.toISOString().replace(/[:.]/g, '-')}`);
mkdirSync(out, { recursive: true });

/** Starts the target with the profiling options in its NODE_OPTIONS only (the generators get none). */
async function start(): Promise<Target> {
  const saved = { NODE_OPTIONS: process.env.NODE_OPTIONS, PROFILE_DIR: process.env.PROFILE_DIR, ALLOC_PROFILE: process.env.ALLOC_PROFILE };
  const opts = [saved.NODE_OPTIONS ?? ''];
  for (const file of preloads) opts.push(`--import=${path.join(import.meta.dirname, file)}`);
  // Last: it never lets the worker's own entry run, and the preloads above must have run first.
  if (plainWorker) opts.push(`--import=${path.join(import.meta.dirname, 'plain-worker.ts')}`);
  process.env.NODE_OPTIONS = opts.join(' ').trim();
  // Every preload writes into the output directory.
  process.env.PROFILE_DIR = out;
  if (has('promoted-prof')) process.env.ALLOC_PROFILE = 'promoted';
  const pending = targetName === 'service' ? startService() : startReference();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return pending;
}

/** The latest `<prefix>-<pid>.json` each process's preload wrote, by pid. */
function preloadFiles<T extends { pid: number }>(prefix: 'ipc' | 'gc' | 'hq'): Map<number, T> {
  const m = new Map<number, T>();
  for (const f of readdirSync(out).filter((n) => n.startsWith(`${prefix}-`))) {
    const j = JSON.parse(readFileSync(path.join(out, f), 'utf8')) as T;
    m.set(j.pid, j);
  }
  return m;
}

interface GcTotals {
  pid: number;
  totals: Record<string, { count: number; ms: number }>;
  /** Where the resident memory was when the reading was taken (gc-count.ts), the new space's committed size among it. */
  memory: Record<'rssKiB' | 'newSpaceKiB' | 'oldSpaceKiB' | 'otherSpacesKiB' | 'heapUsedKiB' | 'externalKiB' | 'arrayBuffersKiB' | 'restKiB', number>;
}

interface Reading {
  /** CPU seconds and minor faults per process, one read of its `stat` file each. */
  stat: Map<number, { user: number; system: number; minflt: number }>;
  ctx: Map<number, { voluntary: number; involuntary: number }>;
  threads: Map<number, Map<number, { name: string; user: number; system: number }>>;
  ipc: Map<number, Record<string, number>>;
  gc: Map<number, GcTotals>;
  /** The primary's handle-queue samples since the previous reading (handle-queue.ts). */
  hq: Map<number, { pid: number; samples: number; inFlight: number; p50: number; p90: number; max: number; lane?: { p50: number; p90: number; max: number } }>;
  at: number;
}

async function reading(pids: readonly number[]): Promise<Reading> {
  // The preloads act on SIGWINCH: the IPC and GC counts are written, the window profiles start or end.
  if (preloads.length > 0) {
    for (const pid of pids) process.kill(pid, 'SIGWINCH');
    await sleep(100);
  }
  return {
    stat: new Map(pids.map((p) => [p, processStat(p) ?? { user: 0, system: 0, minflt: 0 }])),
    ctx: new Map(pids.map((p) => [p, contextSwitches(p) ?? { voluntary: 0, involuntary: 0 }])),
    threads: new Map(pids.map((p) => [p, threadSplits(p)])),
    ipc: new Map([...preloadFiles<{ pid: number; counts: Record<string, number> }>('ipc')].map(([pid, j]) => [pid, j.counts])),
    gc: preloadFiles<GcTotals>('gc'),
    hq: preloadFiles('hq'),
    at: Date.now(),
  };
}

const f3 = (n: number) => n.toFixed(3);
const mib = (kib?: number) => (kib === undefined ? '?' : (kib / 1024).toFixed(0));

function printWindow(pids: readonly number[], a: Reading, b: Reading): Record<string, unknown>[] {
  const wall = (b.at - a.at) / 1000;
  const rows: Record<string, unknown>[] = [];
  let tu = 0;
  let ts = 0;
  pids.forEach((pid, i) => {
    const role = i === 0 ? 'primary' : `worker ${i}`;
    const u = (b.stat.get(pid)!.user - a.stat.get(pid)!.user) / wall;
    const s = (b.stat.get(pid)!.system - a.stat.get(pid)!.system) / wall;
    tu += u;
    ts += s;
    const vol = (b.ctx.get(pid)!.voluntary - a.ctx.get(pid)!.voluntary) / wall;
    const inv = (b.ctx.get(pid)!.involuntary - a.ctx.get(pid)!.involuntary) / wall;
    const byName = new Map<string, { user: number; system: number }>();
    for (const [tid, t1] of b.threads.get(pid)!) {
      const t0 = a.threads.get(pid)!.get(tid) ?? { user: 0, system: 0 };
      const name = tid === pid ? 'main' : t1.name;
      const e = byName.get(name) ?? { user: 0, system: 0 };
      e.user += (t1.user - t0.user) / wall;
      e.system += (t1.system - t0.system) / wall;
      byName.set(name, e);
    }
    const threads = [...byName].filter(([, v]) => v.user + v.system > 0.0005).map(([n, v]) => `${n} ${f3(v.user)}u/${f3(v.system)}s`);
    const c0 = a.ipc.get(pid) ?? {};
    const c1 = b.ipc.get(pid) ?? {};
    const ipc = Object.keys(c1)
      .map((k) => [k, ((c1[k] ?? 0) - (c0[k] ?? 0)) / wall] as const)
      .filter(([, v]) => v > 0)
      .sort((x, y) => y[1] - x[1]);
    const faults = (b.stat.get(pid)!.minflt - a.stat.get(pid)!.minflt) / wall;
    const g0 = a.gc.get(pid)?.totals ?? {};
    const g1 = b.gc.get(pid)?.totals ?? {};
    const gc = Object.keys(g1)
      .map((k) => [k, (g1[k]!.count - (g0[k]?.count ?? 0)) / wall, (g1[k]!.ms - (g0[k]?.ms ?? 0)) / wall] as const)
      .filter(([, n]) => n > 0);
    console.log(`${role.padEnd(9)} pid ${pid}: user ${f3(u)} + kernel ${f3(s)} = ${f3(u + s)} cores; main-thread switches ${vol.toFixed(0)} vol/s, ${inv.toFixed(0)} invol/s; ${faults.toFixed(0)} minor faults/s`);
    console.log(`          threads: ${threads.join(', ')}`);
    if (ipc.length > 0) console.log(`          ipc/s: ${ipc.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
    if (b.gc.has(pid)) console.log(`          gc/s: ${gc.map(([k, n, ms]) => `${k} ${n.toFixed(2)} (${ms.toFixed(2)} ms)`).join(', ') || 'none'}; new space ${mib(a.gc.get(pid)?.memory.newSpaceKiB)} → ${mib(b.gc.get(pid)?.memory.newSpaceKiB)} MiB`);
    const mem = b.gc.get(pid)?.memory;
    if (mem) console.log(`          memory MiB at the end: RSS ${mib(mem.rssKiB)} = new space ${mib(mem.newSpaceKiB)} + old space ${mib(mem.oldSpaceKiB)} (heap used ${mib(mem.heapUsedKiB)}) + other spaces ${mib(mem.otherSpacesKiB)} + external ${mib(mem.externalKiB)} (Buffers ${mib(mem.arrayBuffersKiB)}) + rest ${mib(mem.restKiB)}`);
    rows.push({ role, pid, user: u, system: s, voluntary: vol, involuntary: inv, minorFaults: faults, threads: Object.fromEntries(byName), ipc: Object.fromEntries(ipc), gc: Object.fromEntries(gc.map(([k, n, ms]) => [k, { perSecond: n, msPerSecond: ms }])), memory: mem });
  });
  // Connections the primary handed to a worker (the service's `conn`, sticky's `sticky:connection`), from --ipc.
  const p0 = a.ipc.get(pids[0]!) ?? {};
  const p1 = b.ipc.get(pids[0]!) ?? {};
  const handed = Object.keys(p1)
    .filter((k) => k.startsWith('out ') && k.endsWith('+handle'))
    .reduce((n, k) => n + ((p1[k] ?? 0) - (p0[k] ?? 0)), 0) / wall;
  const perConn = handed > 0 ? ` = ${(((tu + ts) / handed) * 1000).toFixed(3)} core-ms per handed connection (${handed.toFixed(0)}/s)` : '';
  console.log(`server    user ${f3(tu)} + kernel ${f3(ts)} = ${f3(tu + ts)} cores${perConn}`);
  const hq = b.hq.get(pids[0]!);
  if (hq) {
    const lane = hq.lane ? `; waiting in the service's lane p50 ${hq.lane.p50}, p90 ${hq.lane.p90}, max ${hq.lane.max}` : '';
    console.log(`handle queue (primary, per worker, every 50 ms): a handle in flight in ${(hq.inFlight * 100).toFixed(0)} % of samples; queued in Node behind it p50 ${hq.p50}, p90 ${hq.p90}, max ${hq.max}${lane}`);
  }
  return rows;
}

/** strace -c on each process for `seconds`; returns its summary per process. */
async function strace(pids: readonly number[], seconds: number): Promise<Record<number, string>> {
  const procs = pids.map((pid) => ({ pid, p: spawn('strace', ['-c', '-f', '-q', '-p', String(pid), '-o', path.join(out, `strace-${pid}.txt`)], { stdio: 'ignore' }) }));
  await sleep(seconds * 1000);
  await Promise.all(procs.map(({ p }) => new Promise<void>((r) => (p.once('exit', () => r()), p.kill('SIGINT')))));
  const res: Record<number, string> = {};
  for (const { pid } of procs) res[pid] = readFileSync(path.join(out, `strace-${pid}.txt`), 'utf8');
  return res;
}

/** The busiest syscalls of one strace -c summary, as calls a second. */
function topSyscalls(summary: string, seconds: number): string {
  const lines = summary.split('\n').filter((l) => /^\s*\d/.test(l));
  const rows = lines
    .map((l) => l.trim().split(/\s+/))
    .map((c) => ({ name: c.at(-1)!, calls: Number(c[3]), errors: c.length === 6 ? Number(c[4]) : 0 }))
    .filter((r) => r.name !== 'total')
    .sort((x, y) => y.calls - x.calls);
  const total = rows.reduce((a, r) => a + r.calls, 0);
  return `${(total / seconds).toFixed(0)}/s: ${rows
    .slice(0, 10)
    .map((r) => `${r.name} ${(r.calls / seconds).toFixed(0)}${r.errors ? ` (${(r.errors / seconds).toFixed(0)} err)` : ''}`)
    .join(', ')}`;
}

const target = await start();
console.log(`profile: ${targetName}, ${clients} × ${kind}, window ${windowS} s, ${started.toISOString()}, out ${path.relative(process.cwd(), out)}`);
const fleet = new Fleet(target.url, kind, clients, generators);
const summary: Record<string, unknown> = { target: targetName, kind, clients, windowS, started: started.toISOString() };
try {
  await fleet.untilSettled();
  await sleep(warmS * 1000);
  const pids = serverPids(target);
  const a = await reading(pids);
  const from = Date.now();
  // CLOCK_MONOTONIC in µs, the clock of a .cpuprofile's timestamps: cpuprofile-summary.ts keeps the window's samples only.
  const monoFrom = Number(process.hrtime.bigint() / 1000n);
  await sleep(windowS * 1000);
  const b = await reading(pids);
  const to = Date.now();
  summary.windowMonotonicUs = { from: monoFrom, to: Number(process.hrtime.bigint() / 1000n) };
  summary.processes = printWindow(pids, a, b);
  summary.generatorCores = fleet.pids.map((p) => cpuSplit(p));
  if (straceS > 0) {
    const sums = await strace(pids, straceS);
    pids.forEach((pid, i) => console.log(`strace ${i === 0 ? 'primary' : `worker ${i}`}: ${topSyscalls(sums[pid]!, straceS)}`));
    summary.strace = sums;
  }
  await sleep(4_000);
  const { list, errors } = await fleet.report(from, to);
  const connected = list.reduce((x, r) => x + r.connected, 0);
  const fan = fanoutFigures(
    list.map((r) => r.versions as VersionReceipts[]),
    connected,
  );
  console.log(`connected ${connected}, errors ${JSON.stringify(errors)}, spread p50/p95 ${fan.spread.p50}/${fan.spread.p95} ms, delay p99 ${fan.delay.p99} ms`);
  Object.assign(summary, { connected, errors, ...fan });
} finally {
  await fleet.stop();
  const stopping = Date.now();
  await target.stop();
  console.log(`target stopped in ${Date.now() - stopping} ms`);
  writeFileSync(path.join(out, 'summary.json'), JSON.stringify(summary, null, 2));
}

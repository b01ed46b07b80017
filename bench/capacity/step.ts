/**
 * One step of the capacity benchmark: a fresh server, N clients of one kind from two
 * generator processes, a measurement window once they are connected, and the figures.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fanoutFigures, type FanoutFigures, type VersionReceipts } from './receipts.ts';
import { Fleet } from './fleet.ts';
import type { ClientKind, ErrorCounts } from './generator.ts';
import { childrenOf, cpuSeconds, machineSeconds, rssKiB } from './proc-stats.ts';
import { isSteady } from './steady.ts';
import type { Target } from './targets.ts';

export interface StepOptions {
  kind: ClientKind;
  clients: number;
  /** Measurement window once every client settled, s. */
  windowS: number;
  generators: number;
  /** Least wait after every client settled, before the window, ms. @default 3000 */
  settleMs?: number;
  /** Longest wait for the server's CPU to become steady (`isSteady`) after that, ms. @default 20000 */
  steadyMaxMs?: number;
  /** Receipts after the window still count for versions generated in it, ms. @default 4000 */
  tailMs?: number;
}

export interface StepResult extends FanoutFigures {
  target: Target['name'];
  kind: ClientKind;
  clients: number;
  connected: number;
  /** Clients still connected when the generators reported (after the window). */
  open: number;
  errors: ErrorCounts;
  /** CPU cores used over the window: primary, workers (sum), generators (sum), whole machine. */
  cores: { primary: number; workers: number; server: number; generators: number; machine: number };
  /** Server processes measured (the primary and its children). */
  processes: number;
  /** Server resident memory (primary + workers) at the window's end, MiB, and its growth per connected client, KiB. */
  rssMiB: number;
  /** The primary's share of `rssMiB`. */
  primaryRssMiB: number;
  kibPerClient: number | null;
  /** Server core-seconds spent from the first connect until every client settled, per 1,000 connected clients. */
  connectCoreSecondsPerK: number | null;
  /** Seconds from every client settled until the window began (settle + waiting for a steady load). */
  settleS: number;
}

export function serverPids(target: Target): number[] {
  return [target.pid, ...childrenOf(target.pid)];
}

function cpuOf(pids: readonly number[]): Map<number, number> {
  return new Map(pids.map((p) => [p, cpuSeconds(p) ?? 0]));
}

const sumRss = (pids: readonly number[]) => pids.reduce((a, p) => a + (rssKiB(p) ?? 0), 0);
const sumCpu = (pids: readonly number[]) => pids.reduce((a, p) => a + (cpuSeconds(p) ?? 0), 0);

/** Waits until the server's per-second CPU is steady, at most `maxMs`. */
async function untilSteady(pids: readonly number[], maxMs: number): Promise<void> {
  const readings: number[] = [];
  const until = Date.now() + maxMs;
  let last = sumCpu(pids);
  while (!isSteady(readings) && Date.now() < until) {
    await sleep(1_000);
    const now = sumCpu(pids);
    readings.push(now - last);
    last = now;
  }
}

export async function runStep(target: Target, opts: StepOptions): Promise<StepResult> {
  const pids = serverPids(target);
  const rssBefore = sumRss(pids);
  const cpuBeforeConnects = sumCpu(pids);
  const fleet = new Fleet(target.url, opts.kind, opts.clients, opts.generators);
  try {
    await fleet.untilSettled();
    const settledAt = Date.now();
    const connectCpu = sumCpu(pids) - cpuBeforeConnects;
    await sleep(opts.settleMs ?? 3_000);
    await untilSteady(pids, opts.steadyMaxMs ?? 20_000);

    const genPids = fleet.pids;
    const cpu0 = cpuOf([...pids, ...genPids]);
    const m0 = machineSeconds();
    const from = Date.now();
    await sleep(opts.windowS * 1000);
    const to = Date.now();
    const cpu1 = cpuOf([...pids, ...genPids]);
    const m1 = machineSeconds();
    const rssAfter = sumRss(pids);
    await sleep(opts.tailMs ?? 4_000);

    const { list, errors } = await fleet.report(from, to);
    const connected = list.reduce((a, r) => a + r.connected, 0);
    const open = list.reduce((a, r) => a + r.open, 0);

    const wall = (to - from) / 1000;
    const used = (p: number) => ((cpu1.get(p) ?? 0) - (cpu0.get(p) ?? 0)) / wall;
    const primary = used(target.pid);
    const workers = pids.slice(1).reduce((a, p) => a + used(p), 0);
    return {
      target: target.name,
      kind: opts.kind,
      clients: opts.clients,
      connected,
      open,
      errors,
      ...fanoutFigures(
        list.map((r) => r.versions as VersionReceipts[]),
        connected,
      ),
      cores: { primary, workers, server: primary + workers, generators: genPids.reduce((a, p) => a + used(p), 0), machine: (m1.busy - m0.busy) / wall },
      processes: pids.length,
      rssMiB: rssAfter / 1024,
      primaryRssMiB: (rssKiB(target.pid) ?? 0) / 1024,
      kibPerClient: connected > 0 ? (rssAfter - rssBefore) / connected : null,
      connectCoreSecondsPerK: connected > 0 ? (connectCpu / connected) * 1000 : null,
      settleS: (from - settledAt) / 1000,
    };
  } finally {
    await fleet.stop();
  }
}

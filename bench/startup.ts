#!/usr/bin/env node
/**
 * How long the production command takes to start and what it holds idle: per run, from spawn to
 * the primary's `listening` (every worker ready), then each process's resident memory 5 s later.
 * The service as `bench:capacity` starts it (production environment, simulated feed, 2 workers).
 * A replacement worker after a recycle and every deploy pay the same module loading.
 *
 * node bench/startup.ts [--runs 5]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { numberArg } from './args.ts';
import { childrenOf, rssKiB } from './capacity/proc-stats.ts';
import { median } from './capacity/report.ts';
import { startService } from './capacity/targets.ts';

const runs = numberArg('runs', 5);
const mib = (kib: number) => (kib / 1024).toFixed(0);
const starts: number[] = [];
const totals: number[] = [];

for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const target = await startService();
  const ms = performance.now() - t0;
  await sleep(5_000);
  const rss = [target.pid, ...childrenOf(target.pid)].map((p) => rssKiB(p) ?? 0);
  await target.stop();
  const total = rss.reduce((a, b) => a + b, 0);
  starts.push(ms);
  totals.push(total);
  console.log(`run ${i + 1}: listening after ${ms.toFixed(0)} ms; idle RSS ${rss.map(mib).join(' + ')} = ${mib(total)} MiB (primary + workers)`);
}
console.log(`median of ${runs}: listening after ${median(starts)!.toFixed(0)} ms, idle RSS ${mib(median(totals)!)} MiB`);

/**
 * A preload for profiling (`NODE_OPTIONS=--import …/gc-count.ts`, env PROFILE_DIR): counts
 * this process's garbage collections by kind (scavenge, mark-compact, incremental marking,
 * weak callbacks) with their total pause, and writes the totals and where the resident memory is
 * to `<PROFILE_DIR>/gc-<pid>.json` on SIGWINCH. V8 grows the new space (up to 2 × 64 MiB on
 * Node 24) while many objects survive its scavenges; the pages it commits meanwhile are minor
 * faults, which is kernel time in a process that allocates no more than another. `memory` is
 * V8's spaces by committed size (the new space's among them), Buffers and other external
 * memory, and the rest of the RSS (malloc, code, stacks), so a server that grows more than
 * another shows in which part. Loaded by the primary and every worker of both
 * targets alike; never in production.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';

const dir = process.env.PROFILE_DIR;

const KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak-callbacks',
};

if (dir) {
  const totals: Record<string, { count: number; ms: number }> = {};
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = KINDS[((e as { detail?: { kind?: number } }).detail)?.kind ?? -1] ?? 'other';
      const t = (totals[kind] ??= { count: 0, ms: 0 });
      t.count += 1;
      t.ms += e.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  process.on('SIGWINCH', () => {
    const spaces = getHeapSpaceStatistics();
    const kib = (bytes: number) => Math.round(bytes / 1024);
    const committed = (name: string) => kib(spaces.find((s) => s.space_name === name)?.physical_space_size ?? 0);
    const m = process.memoryUsage();
    const heap = kib(spaces.reduce((a, s) => a + s.physical_space_size, 0));
    const newSpace = committed('new_space');
    const oldSpace = committed('old_space');
    const memory = {
      rssKiB: kib(m.rss),
      newSpaceKiB: newSpace,
      oldSpaceKiB: oldSpace,
      otherSpacesKiB: heap - newSpace - oldSpace,
      heapUsedKiB: kib(m.heapUsed),
      externalKiB: kib(m.external),
      arrayBuffersKiB: kib(m.arrayBuffers),
      /** Resident memory outside V8's heap and external memory: malloc arenas, code, stacks. */
      restKiB: kib(m.rss) - heap - kib(m.external),
    };
    writeFileSync(path.join(dir, `gc-${process.pid}.json`), JSON.stringify({ pid: process.pid, totals, memory }));
  });
}

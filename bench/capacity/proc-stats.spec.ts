import { describe, expect, it } from 'vitest';
import { cpuSplit, processStat, rssKiB } from './proc-stats.ts';

describe('proc-stats', () => {
  it('counts the minor faults of pages a process touches for the first time', () => {
    const before = processStat(process.pid)!.minflt;
    const mib = 64;
    // A fresh allocation this large is mapped untouched; filling it faults every 4 KiB page in.
    const block = Buffer.alloc(mib * 1024 * 1024);
    block.fill(1);
    const after = processStat(process.pid)!.minflt;
    expect(after - before).toBeGreaterThanOrEqual(((mib * 1024) / 4) * 0.9);
    expect(block[block.length - 1]).toBe(1);
  });

  it('reads user and kernel seconds that grow with work', () => {
    const a = cpuSplit(process.pid)!;
    const until = performance.now() + 150;
    let x = 0;
    while (performance.now() < until) x += Math.sqrt(x + 1);
    const b = cpuSplit(process.pid)!;
    expect(b.user + b.system).toBeGreaterThan(a.user + a.system);
    expect(x).toBeGreaterThan(0);
    expect(rssKiB(process.pid)).toBeGreaterThan(1024);
  });

  it('answers null, not a throw, for a process that does not exist', () => {
    // Above the kernel's pid_max (at most 2^22), so no process can have it.
    const gone = 2 ** 22 + 1;
    expect(processStat(gone)).toBeNull();
    expect(cpuSplit(gone)).toBeNull();
    expect(rssKiB(gone)).toBeNull();
  });
});

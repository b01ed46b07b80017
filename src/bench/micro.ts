import { performance } from 'node:perf_hooks';

/** Result of one micro-benchmark. */
export interface BenchResult {
  name: string;
  opsPerSec: number;
  /** Mean time of one operation in microseconds. */
  meanUs: number;
  iterations: number;
}

/**
 * Runs `fn` repeatedly for about `ms` milliseconds after a short warm-up, and reports
 * throughput. Figures only: nothing here asserts a speed.
 */
export function bench(name: string, fn: () => unknown, ms = 1000): BenchResult {
  const warmUntil = performance.now() + ms / 5;
  while (performance.now() < warmUntil) fn();
  let iterations = 0;
  const start = performance.now();
  const until = start + ms;
  while (performance.now() < until) {
    for (let i = 0; i < 16; i++) fn();
    iterations += 16;
  }
  const elapsed = performance.now() - start;
  return { name, iterations, opsPerSec: Math.round((iterations / elapsed) * 1000), meanUs: Math.round((elapsed / iterations) * 1000 * 100) / 100 };
}

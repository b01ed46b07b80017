/**
 * A preload for profiling (`NODE_OPTIONS=--import …/handle-queue.ts`, env PROFILE_DIR): in the
 * primary, samples every 50 ms how many connections wait in Node's per-worker handle queue
 * (`ChildProcess._handleQueue`: one handle is in flight per IPC channel until the worker's
 * NODE_HANDLE_ACK; later sends wait behind it, and every acknowledgement re-sends the whole
 * queue, so a queue of L costs O(L) per connection handed). Writes the samples since the last
 * signal to `<PROFILE_DIR>/hq-<pid>.json` on SIGWINCH. Both targets hand connections this way;
 * never in production.
 */
import cluster from 'node:cluster';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.env.PROFILE_DIR;

if (dir && cluster.isPrimary) {
  let samples: number[] = [];
  setInterval(() => {
    for (const w of Object.values(cluster.workers ?? {})) {
      const queue = (w?.process as unknown as { _handleQueue?: unknown[] | null })._handleQueue;
      // null: no handle in flight; an array: one in flight and these behind it.
      samples.push(queue ? queue.length : -1);
    }
  }, 50).unref();
  process.on('SIGWINCH', () => {
    const s = samples;
    samples = [];
    const queued = s.filter((n) => n >= 0).sort((a, b) => a - b);
    const at = (q: number) => queued[Math.floor(q * (queued.length - 1))] ?? 0;
    const summary = { pid: process.pid, samples: s.length, inFlight: s.length ? queued.length / s.length : 0, p50: at(0.5), p90: at(0.9), max: queued.at(-1) ?? 0 };
    writeFileSync(path.join(dir, `hq-${process.pid}.json`), JSON.stringify(summary));
  });
}

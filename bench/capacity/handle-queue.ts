/**
 * A preload for profiling (`NODE_OPTIONS=--import …/handle-queue.ts`, env PROFILE_DIR): in the
 * primary, samples every 50 ms how many connections wait in Node's per-worker handle queue
 * (`ChildProcess._handleQueue`: one handle is in flight per IPC channel until the worker's
 * NODE_HANDLE_ACK; later sends wait behind it, and every acknowledgement re-sends the whole
 * queue, so a queue of L costs O(L) per connection handed). Writes the samples since the last
 * signal to `<PROFILE_DIR>/hq-<pid>.json` on SIGWINCH. The service gives Node one socket at a
 * time and keeps the rest in its own lanes (src/primary/handle-lane.ts): for it the lanes are
 * sampled too. Never in production.
 */
import cluster from 'node:cluster';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = process.env.PROFILE_DIR;

/** The service's lanes (the module the app itself loads from dist/, so the same instance); absent in the reference. */
let laneWaiting: ((channel: object) => number | null) | undefined;

if (dir && cluster.isPrimary) {
  const lanes = pathToFileURL(path.resolve(import.meta.dirname, '../../dist/primary/handle-lane.js')).href;
  import(lanes).then((m: { laneWaiting?: (channel: object) => number | null }) => void (laneWaiting = m.laneWaiting)).catch(() => undefined);
  let samples: number[] = [];
  let laneSamples: number[] = [];
  setInterval(() => {
    for (const w of Object.values(cluster.workers ?? {})) {
      if (!w) continue;
      const queue = (w.process as unknown as { _handleQueue?: unknown[] | null })._handleQueue;
      // null: no handle in flight; an array: one in flight and these behind it.
      samples.push(queue ? queue.length : -1);
      const waiting = laneWaiting?.(w.process) ?? null;
      if (waiting !== null) laneSamples.push(waiting);
    }
  }, 50).unref();
  const quantiles = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.floor(q * (sorted.length - 1))] ?? 0;
    return { p50: at(0.5), p90: at(0.9), max: sorted.at(-1) ?? 0 };
  };
  process.on('SIGWINCH', () => {
    const s = samples;
    const l = laneSamples;
    samples = [];
    laneSamples = [];
    const queued = s.filter((n) => n >= 0);
    const summary = {
      pid: process.pid,
      samples: s.length,
      inFlight: s.length ? queued.length / s.length : 0,
      ...quantiles(queued),
      // Connections waiting in the service's own lanes (handle-lane.ts), not yet given to Node.
      ...(l.length > 0 ? { lane: quantiles(l) } : {}),
    };
    writeFileSync(path.join(dir, `hq-${process.pid}.json`), JSON.stringify(summary));
  });
}

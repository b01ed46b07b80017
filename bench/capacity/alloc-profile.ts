/**
 * A preload for profiling (`NODE_OPTIONS=--import …/alloc-profile.ts`, env PROFILE_DIR): V8's
 * sampling heap profile of exactly the measured window (one sample per 16 KiB allocated, objects
 * that garbage collection already freed included, so it shows what is allocated, not only what
 * is retained), started at the first SIGWINCH profile.ts sends and written at the second as
 * `<PROFILE_DIR>/alloc-<pid>.heapprofile` (Chrome DevTools, Memory tab, loads it). Loaded by
 * the primary and every worker of both targets alike; never in production.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { duringWindow } from './window-session.ts';

const dir = process.env.PROFILE_DIR;
const SAMPLING = { samplingInterval: 16_384, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true };

if (dir) {
  duringWindow(
    (session) => session.post('HeapProfiler.enable', () => session.post('HeapProfiler.startSampling', SAMPLING)),
    (session) =>
      session.post('HeapProfiler.stopSampling', (err, res) => {
        if (err) process.stderr.write(`alloc-profile: ${err.message}\n`);
        else writeFileSync(path.join(dir, `alloc-${process.pid}.heapprofile`), JSON.stringify(res.profile));
      }),
  );
}

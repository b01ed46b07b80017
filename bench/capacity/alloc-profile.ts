/**
 * A preload for profiling (`NODE_OPTIONS=--import …/alloc-profile.ts`, env PROFILE_DIR): V8's
 * sampling heap profile of exactly the measured window (one sample per 16 KiB allocated, objects
 * that garbage collection already freed included, so it shows what is allocated, not only what
 * is retained), started at the first SIGWINCH profile.ts sends and written at the second as
 * `<PROFILE_DIR>/alloc-<pid>.heapprofile` (Chrome DevTools, Memory tab, loads it). With
 * ALLOC_PROFILE=promoted (profile.ts `--promoted-prof`) it leaves out what scavenges freed and
 * writes `promoted-<pid>.heapprofile`: what outlived the young generation, which is what fills
 * the old space (and the resident memory) until a mark-compact, garbage or not. Two scavenges
 * run right before that profile is taken, or whatever was allocated since the last scavenge
 * would count as surviving (up to a whole new space, by chance of timing). Loaded by
 * the primary and every worker of both targets alike; never in production.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { duringWindow } from './window-session.ts';

const dir = process.env.PROFILE_DIR;
const promoted = process.env.ALLOC_PROFILE === 'promoted';
const SAMPLING = { samplingInterval: 16_384, includeObjectsCollectedByMinorGC: !promoted, includeObjectsCollectedByMajorGC: true };

/** V8's `gc()`, for the scavenges before a promoted profile (`--expose-gc` set at run time: this preload only). */
function minorGc(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (o: { type: 'minor' }) => void;
  return () => gc({ type: 'minor' });
}

if (dir) {
  const scavenge = promoted ? minorGc() : () => {};
  duringWindow(
    (session) => session.post('HeapProfiler.enable', () => session.post('HeapProfiler.startSampling', SAMPLING)),
    (session) => {
      scavenge();
      scavenge();
      session.post('HeapProfiler.stopSampling', (err, res) => {
        if (err) process.stderr.write(`alloc-profile: ${err.message}\n`);
        else writeFileSync(path.join(dir, `${promoted ? 'promoted' : 'alloc'}-${process.pid}.heapprofile`), JSON.stringify(res.profile));
      });
    },
  );
}

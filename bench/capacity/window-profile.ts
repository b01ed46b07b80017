/**
 * A preload for profiling (`NODE_OPTIONS=--import …/window-profile.ts`, env PROFILE_DIR): a V8
 * CPU profile of exactly the measured window, started at the first SIGWINCH profile.ts sends
 * and written at the second, as `<PROFILE_DIR>/window-<pid>.cpuprofile`. Node's `--cpu-prof`
 * writes only at a clean exit, which a primary stopped with thousands of clients attached
 * does not reach (it is killed at the stop deadline), and its profile would include the ramp.
 * Loaded by the primary and every worker of both targets alike; never in production.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { duringWindow } from './window-session.ts';

const dir = process.env.PROFILE_DIR;

if (dir) {
  duringWindow(
    (session) => session.post('Profiler.enable', () => session.post('Profiler.start')),
    (session) =>
      session.post('Profiler.stop', (err, res) => {
        if (err) process.stderr.write(`window-profile: ${err.message}\n`);
        else writeFileSync(path.join(dir, `window-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
      }),
  );
}

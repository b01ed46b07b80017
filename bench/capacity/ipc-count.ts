/**
 * A preload for profiling (`NODE_OPTIONS=--import …/ipc-count.ts`, env PROFILE_DIR): counts
 * the IPC messages this process sends and receives, by kind (the service's `t`, the cluster
 * adapter's and other libraries' own fields, Node's cluster-internal `act`), and writes the
 * totals to `<PROFILE_DIR>/ipc-<pid>.json` on SIGWINCH. Loaded by the primary and every
 * worker of both targets alike; never in production.
 */
import cluster from 'node:cluster';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.env.PROFILE_DIR;
const counts: Record<string, number> = {};
const role = cluster.isPrimary ? 'primary' : `worker`;

function kindOf(m: unknown): string {
  if (typeof m !== 'object' || m === null) return typeof m;
  const o = m as Record<string, unknown>;
  if (typeof o.t === 'string') return o.t;
  if (o.cmd === 'NODE_CLUSTER') return `cluster:${String(o.act ?? 'reply')}`;
  if (typeof o.source === 'string') return `${o.source}:${String(o.type)}`;
  if (typeof o.channel === 'string') return o.channel;
  if (typeof o.type === 'string') return o.type;
  return 'other';
}

const count = (dir: 'in' | 'out', m: unknown, handle?: unknown) => {
  const k = `${dir} ${kindOf(m)}${handle ? ' +handle' : ''}`;
  counts[k] = (counts[k] ?? 0) + 1;
};

/** Counts everything `proc` sends and receives over its IPC channel. */
function watch(proc: NodeJS.Process | import('node:child_process').ChildProcess): void {
  const send = proc.send!.bind(proc) as (...a: unknown[]) => boolean;
  (proc as { send: unknown }).send = (...a: unknown[]) => {
    count('out', a[0], typeof a[1] === 'object' && a[1] !== null && typeof a[1] !== 'function' ? a[1] : undefined);
    return send(...a);
  };
  proc.on('message', (m: unknown, h: unknown) => count('in', m, h));
  proc.on('internalMessage' as 'message', (m: unknown, h: unknown) => count('in', m, h));
}

if (dir) {
  if (cluster.isPrimary) cluster.on('fork', (w) => watch(w.process));
  else if (process.send) watch(process);
  // On SIGWINCH (profile.ts sends it before each reading; nothing else here uses it), not on a timer: the counter's own cost stays out of the window.
  process.on('SIGWINCH', () => writeFileSync(path.join(dir, `ipc-${process.pid}.json`), JSON.stringify({ pid: process.pid, role, at: Date.now(), counts })));
}

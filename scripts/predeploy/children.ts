/** Child processes the harness started (service, HAProxy), so an interrupted run ends them too. */
import type { ChildProcess } from 'node:child_process';

const children = new Set<ChildProcess>();

export function track(proc: ChildProcess): ChildProcess {
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  return proc;
}

/** Sends `signal` to every child still running. */
export function signalChildren(signal: NodeJS.Signals): void {
  for (const p of children) if (p.exitCode === null && p.signalCode === null) p.kill(signal);
}

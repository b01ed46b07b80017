/**
 * What the harness does to the service mid-run: recycle one worker exactly as production
 * recycles it (SIGUSR2 asks the worker to go; the primary recycles it in turn: replacement
 * first, then the drain over DRAIN_WINDOW_MS), and SIGKILL one worker (a crash / OOM kill).
 */
import type { KillEvent } from './analysis.ts';
import type { Service } from './service.ts';
import type { Fleet } from './soak-clients.ts';

export interface TriggeredRecycle {
  from: number;
  to: number;
  worker: number | null;
  recycled: boolean;
}

/**
 * Sends SIGUSR2 to worker `prefer` (the busiest) and waits until a worker that was not
 * recycling before logs `worker_recycle`. Production's limits (MAX_SESSIONS_PER_WORKER,
 * MAX_WORKER_RSS_MB) are far beyond what a short soak reaches; the signal is the operator's
 * way to ask for the same recycle.
 */
export async function triggerRecycle(service: Service, prefer: number | null, timeoutMs = 60_000): Promise<TriggeredRecycle> {
  const from = Date.now();
  const before = new Set([...service.workers.values()].filter((w) => w.recycleAt !== undefined).map((w) => w.id));
  const recycledNow = () => [...service.workers.values()].find((w) => w.recycleAt !== undefined && !before.has(w.id));
  const pid = prefer === null ? undefined : service.workers.get(prefer)?.pid;
  try {
    if (pid !== undefined) process.kill(pid, 'SIGUSR2');
  } catch {
    // Exited in between: reported as no recycle.
  }
  while (pid !== undefined && !recycledNow() && Date.now() - from < timeoutMs) await new Promise((r) => setTimeout(r, 50));
  const r = recycledNow();
  return { from, to: Date.now(), worker: r?.id ?? prefer, recycled: r !== undefined };
}

/** The live worker holding the most connected clients. */
export function busiestWorker(service: Service, fleet: Fleet): number | null {
  const live = service.liveWorkers();
  const holders = (id: number) => fleet.live().filter((c) => c.socket.connected && c.worker === id).length;
  return live.sort((a, b) => holders(b.id) - holders(a.id))[0]?.id ?? null;
}

/** SIGKILLs the live worker holding the most clients; undefined if none can be found. */
export function killBusiestWorker(service: Service, fleet: Fleet): KillEvent | undefined {
  const live = service.liveWorkers().filter((w) => w.pid !== undefined);
  if (live.length === 0) return undefined;
  const holders = (id: number) => fleet.live().filter((c) => c.socket.connected && c.worker === id).length;
  const target = live.sort((a, b) => holders(b.id) - holders(a.id))[0]!;
  const victims = holders(target.id);
  try {
    process.kill(target.pid!, 'SIGKILL');
  } catch {
    return undefined;
  }
  return { worker: target.id, at: Date.now(), victims };
}

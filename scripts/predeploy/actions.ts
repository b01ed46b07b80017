/**
 * What the harness does to the service mid-run: spend one worker's MAX_REQUESTS budget so it
 * is recycled exactly as traffic would recycle it, and SIGKILL one worker (a crash / OOM kill).
 */
import http from 'node:http';
import type { KillEvent } from './analysis.ts';
import type { Service } from './service.ts';
import type { Fleet } from './soak-clients.ts';

export interface TriggeredRecycle {
  from: number;
  to: number;
  requests: number;
  worker: number | null;
  recycled: boolean;
}

/** Cheap requests the burst may send at most; a larger budget is not triggered. */
export const MAX_BURST = 25_000;

function getHealthz(port: number, agent: http.Agent): Promise<number | null> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/healthz', agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => {
        try {
          const j = JSON.parse(body) as { info?: { process?: { worker?: number } } };
          resolve(j.info?.process?.worker ?? null);
        } catch {
          resolve(null);
        }
      });
    });
    req.on('error', () => resolve(null));
    req.setTimeout(5_000, () => req.destroy());
  });
}

/**
 * Sends GET /healthz over one keep-alive connection — opened until the router hands one to
 * `prefer` (the busiest worker), at most a few tries — until a worker that was not recycling
 * before logs `worker_recycle`, or the budget plus jitter is spent.
 */
export async function triggerRecycle(service: Service, maxRequests: number, jitter: number, prefer: number | null, timeoutMs = 60_000): Promise<TriggeredRecycle> {
  const from = Date.now();
  const before = new Set([...service.workers.values()].filter((w) => w.recycleAt !== undefined).map((w) => w.id));
  const recycledNow = () => [...service.workers.values()].find((w) => w.recycleAt !== undefined && !before.has(w.id));
  let agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const budget = Math.min(MAX_BURST, maxRequests + jitter + 50);
  let requests = 0;
  let worker: number | null = null;
  try {
    for (let attempt = 0; prefer !== null && attempt < 8; attempt++) {
      worker = await getHealthz(service.port, agent);
      requests += 1;
      if (worker === prefer) break;
      agent.destroy();
      agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    }
    while (requests < budget && Date.now() - from < timeoutMs && !recycledNow()) {
      const w = await getHealthz(service.port, agent);
      worker ??= w;
      requests += 1;
    }
    // The log line may trail the last request a little.
    const wait = Date.now() + 2_000;
    while (!recycledNow() && Date.now() < wait) await new Promise((r) => setTimeout(r, 50));
  } finally {
    agent.destroy();
  }
  const r = recycledNow();
  return { from, to: Date.now(), requests, worker: r?.id ?? worker, recycled: r !== undefined };
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

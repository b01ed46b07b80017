/**
 * Old clients in the field: socket.io-client 2.x speaks Engine.IO 3 and opens with
 * `GET /socket.io/?EIO=3&transport=polling`. A socket.io 4 server without `allowEIO3`
 * answers `400 {"code":5,"message":"Unsupported protocol version"}`, and the old client
 * retries with its backoff forever. Raw HTTP, like the old client's first request.
 */
import { classifyPollingResponse, type PollingClassification } from '../../loadtest/lib/engineio-classify.ts';

export interface Eio3Stats {
  clients: number;
  attempts: number;
  byClass: Partial<Record<PollingClassification, number>>;
  byStatus: Record<string, number>;
  sample: string;
}

export interface Eio3Prober {
  stats: Eio3Stats;
  stop: () => Promise<void>;
}

export function startEio3Clients(base: string, n: number, retryMs = 2_000): Eio3Prober {
  const stats: Eio3Stats = { clients: n, attempts: 0, byClass: {}, byStatus: {}, sample: '' };
  let stopped = false;
  let wake: (() => void)[] = [];
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wake = wake.filter((w) => w !== done);
        resolve();
      }
      wake.push(done);
    });

  const one = async (i: number) => {
    await sleep(Math.round((i * retryMs) / Math.max(1, n)));
    while (!stopped) {
      const url = `${base}/socket.io/?EIO=3&transport=polling&t=${Date.now().toString(36)}${i}`;
      let status = 0;
      let body = '';
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
        status = res.status;
        body = await res.text();
      } catch (e) {
        body = e instanceof Error ? e.message : String(e);
      }
      if (stopped) break;
      const cls = classifyPollingResponse(status, body);
      stats.attempts += 1;
      stats.byClass[cls] = (stats.byClass[cls] ?? 0) + 1;
      stats.byStatus[String(status)] = (stats.byStatus[String(status)] ?? 0) + 1;
      if (!stats.sample) stats.sample = `${status} ${body.slice(0, 120)}`;
      await sleep(retryMs * (0.5 + Math.random()));
    }
  };
  const loops = Array.from({ length: n }, (_, i) => one(i));
  return {
    stats,
    stop: async () => {
      stopped = true;
      for (const w of wake.slice()) w();
      await Promise.all(loops);
    },
  };
}

import { connectClient, type TrackedClient } from './clients.js';
import { waitFor, waitUntil } from './wait.js';
import { defect400s, startCountingProxy, type CountingProxy } from '../../scripts/predeploy/counting-proxy.ts';
import type { Topology } from './topology.js';

/** Many polling clients split over two counting proxies: a pooled one and a per-request one. */
export interface Fleet {
  clients: TrackedClient[];
  pooled: CountingProxy;
  fresh: CountingProxy;
  /** Polls counted by both proxies. */
  polls: () => number;
  /** Defective 400 answers (all but those for ended sessions) counted by both proxies. */
  bad: () => number;
  /** 400 answers for sessions this deployment ended (the protocol's answer), by both proxies. */
  ended: () => number;
  /** Every polling 400 answer, defective or not, counted by both proxies. */
  all400s: () => number;
  /** The first 400/403/5xx answers of each proxy: request, status, cause header and body. */
  badSamples: () => string[];
  close: () => Promise<void>;
}

/**
 * Connects `n` polling-only clients to `app`: even ones through a proxy that pools
 * keep-alive connections (like Fly's edge), odd ones through a proxy that opens one
 * connection per request (like browsers behind no proxy, routed by the primary each time).
 */
export async function startFleet(app: Topology, n: number, opts: { reconnection?: boolean; settle?: boolean } = {}): Promise<Fleet> {
  const target = { host: '127.0.0.1', port: app.port };
  const pooled = await startCountingProxy(target, { keepAlive: true, pool: 6 });
  const fresh = await startCountingProxy(target, { keepAlive: false, pool: 1000 });
  const clients: TrackedClient[] = [];
  for (let i = 0; i < n; i++) {
    const c = connectClient(i % 2 === 0 ? pooled.url : fresh.url);
    if (opts.reconnection === false) c.socket.io.reconnection(false);
    clients.push(c);
  }
  const fleet: Fleet = {
    clients,
    pooled,
    fresh,
    polls: () => pooled.counts.polls + fresh.counts.polls,
    bad: () => defect400s(pooled.counts) + defect400s(fresh.counts),
    ended: () => pooled.counts.sessionUnknown.ended + fresh.counts.sessionUnknown.ended,
    all400s: () => (pooled.counts.byStatus['400'] ?? 0) + (fresh.counts.byStatus['400'] ?? 0),
    badSamples: () => [...pooled.counts.badSamples, ...fresh.counts.badSamples],
    close: async () => {
      for (const c of clients) c.close();
      await untilQuiet([pooled, fresh]);
      await Promise.all([pooled.close(), fresh.close()]);
    },
  };
  if (opts.settle === false) return fleet;
  try {
    await waitFor(() => clients.every((c) => c.snapshots >= 1), 20_000, `all ${n} clients have a snapshot`);
  } catch (error) {
    await fleet.close();
    throw error;
  }
  return fleet;
}

/**
 * Waits until neither proxy has a request in flight for two checks in a row (at most 3 s): the
 * clients' goodbyes (socket.io's DISCONNECT, then Engine.IO's close, each a POST) must reach the
 * service before the proxies cut their connections. A session whose goodbye is cut, and that has
 * no poll pending, stays open until its ping timeout (45 s by default), and so does its demand.
 */
async function untilQuiet(proxies: CountingProxy[], timeoutMs = 3_000): Promise<void> {
  let quiet = 0;
  const probe = () => (quiet = proxies.every((p) => p.waiting() === 0) ? quiet + 1 : 0);
  // Past the deadline the proxies are cut anyway: a wait, not an assertion.
  await waitUntil(probe, (n) => n >= 2, timeoutMs, 'no request in flight through the proxies', 50).catch(() => undefined);
}

/** Share of polls that got 400, in percent with two decimals. */
export function percent(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((10_000 * part) / whole) / 100;
}

/** How many clients each worker holds now. */
export function spread(clients: TrackedClient[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of clients) {
    const w = String(c.worker());
    out[w] = (out[w] ?? 0) + 1;
  }
  return out;
}

/**
 * A recycling soak: the production command (`node dist/main.js`, via the test topology on
 * 127.0.0.1) with `env`, `clients` polling clients held open at once for `durationMs`, each
 * session ending after a random (exponential, seeded) lifetime and its client replaced by a
 * new one, so sessions arrive at clients ÷ meanSessionMs a second as real visitors would.
 * Clients are the k6 scripts' Engine.IO poller run on Node's fetch (loadtest/lib/node-driver),
 * reconnecting when the server closes their session, and sharing fetch's keep-alive pool (as
 * an edge proxy pools connections). Counts recycles from the service's logs, sessions lost
 * from its metrics, every 400 by cause from the clients, and workers' RSS from /proc. Used by
 * `npm run bench:recycling` (production settings, 560 clients, 5 minutes) and by the short
 * soak in test/recycling.e2e.spec.ts.
 */
import { childrenOf, rssKiB } from '../capacity/proc-stats.ts';
import { mulberry32 } from '../../src/feed/simulator/prng.ts';
import { NodePollingClient } from '../../loadtest/lib/node-driver.ts';
import { startTopology } from '../../test/support/topology.ts';
import { recycleTimeline, type Timeline } from './timeline.ts';

export interface SoakOptions {
  /** Service environment (on top of the test topology's loopback settings). */
  env: Record<string, string>;
  clients: number;
  durationMs: number;
  /** Mean session length; Infinity = no churn (only the first handshakes). */
  meanSessionMs: number;
  /** First handshakes spread over this long. @default 5000 */
  rampMs?: number;
  seed?: number;
  progress?: (line: string) => void;
}

export interface SoakFigures {
  durationS: number;
  clients: number;
  /** Handshakes that connected (first ones, arrivals and reconnects after a recycle). */
  connects: number;
  /** Sessions started because a visitor arrived (churn), not counting the first `clients`. */
  arrivals: number;
  reconnects: number;
  requests: number;
  requestsPerClientPerSec: number;
  /** Sessions closed by recycle drains (transit_sessions_lost_total{cause="worker_recycled"}). */
  sessionsLostToRecycling: number;
  /** Client-side: sessions that ended without the client closing them. */
  clientSessionsLost: number;
  /** 400 "Session ID unknown" by cause as the clients saw them (misrouted / unknown are defects). */
  byCause: Record<string, number>;
  /** Polling answers by class (ok, closed, session_unknown, network_error, …). */
  byClass: Record<string, number>;
  /** Sessions that never connected. */
  connectFailures: number;
  /** Server-side Socket.IO disconnects by reason (transit_socket_disconnects_total), to tell recycling from ping timeouts. */
  serverDisconnects: Record<string, number>;
  timeline: Timeline;
  workerRssMiB: { min: number; max: number };
  primaryRssMiB: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function add(into: Record<string, number>, from: Partial<Record<string, number>>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + (v ?? 0);
}

/** `label → value` of the non-zero samples `pattern` (label, value) matches in a metrics text. */
function countsOf(text: string, pattern: RegExp): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(pattern)) if (Number(m[2]) > 0) out[m[1]!] = Number(m[2]);
  return out;
}

export async function runRecyclingSoak(o: SoakOptions): Promise<SoakFigures> {
  const app = await startTopology(o.env);
  const rand = mulberry32(o.seed ?? 1);
  const all: NodePollingClient[] = [];
  const live = new Set<NodePollingClient>();
  const timers = new Set<NodeJS.Timeout>();
  let connectFailures = 0;
  let arrivals = 0;
  let stopping = false;
  const rss = { min: Infinity, max: 0, primary: 0 };
  const sample = setInterval(() => {
    rss.primary = Math.max(rss.primary, (rssKiB(app.proc.pid!) ?? 0) / 1024);
    for (const pid of childrenOf(app.proc.pid!)) {
      const kib = rssKiB(pid);
      if (kib === null) continue;
      rss.min = Math.min(rss.min, kib / 1024);
      rss.max = Math.max(rss.max, kib / 1024);
    }
  }, 1_000);

  const open = (n: number) => {
    const c = new NodePollingClient({ baseUrl: app.base, reconnect: true, reconnectDelayMs: 200 + Math.floor(rand() * 800), auth: (connects) => ({ clientId: `soak-${n}`, connects }) });
    all.push(c);
    live.add(c);
    // A visitor who leaves before connecting is not a failure.
    void c.connect(20_000).catch(() => (connectFailures += live.has(c) ? 1 : 0));
    if (!Number.isFinite(o.meanSessionMs)) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      live.delete(c);
      void c.close(2_000);
      if (stopping) return;
      arrivals += 1;
      open(all.length);
    }, -Math.log(1 - rand()) * o.meanSessionMs);
    timers.add(timer);
  };

  const start = Date.now();
  try {
    const ramp = o.rampMs ?? 5_000;
    for (let i = 0; i < o.clients; i++) {
      open(i);
      await sleep(ramp / o.clients);
    }
    while (Date.now() - start < o.durationMs) {
      await sleep(Math.min(10_000, o.durationMs - (Date.now() - start)));
      const t = recycleTimeline(app.logs);
      const workersRss = childrenOf(app.proc.pid!).map((pid) => Math.round((rssKiB(pid) ?? 0) / 1024));
      o.progress?.(`${Math.round((Date.now() - start) / 1000)} s: ${live.size} clients, ${t.recycles.length} recycles, ${all.reduce((n, c) => n + c.stats.requests, 0)} requests, worker RSS ${workersRss.join(' / ')} MiB`);
    }
    stopping = true;
    const elapsed = Date.now() - start;
    const metrics = await (await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`)).text();
    const byCause: Record<string, number> = {};
    const byClass: Record<string, number> = {};
    for (const c of all) {
      add(byCause, c.stats.byCause);
      add(byClass, c.stats.byClass);
    }
    const sum = (k: 'requests' | 'connects' | 'reconnects' | 'sessionLost') => all.reduce((n, c) => n + c.stats[k], 0);
    return {
      durationS: elapsed / 1000,
      clients: o.clients,
      connects: sum('connects'),
      arrivals,
      reconnects: sum('reconnects'),
      requests: sum('requests'),
      requestsPerClientPerSec: sum('requests') / o.clients / (elapsed / 1000),
      sessionsLostToRecycling: Number(/transit_sessions_lost_total\{cause="worker_recycled"\} (\d+)/.exec(metrics)?.[1] ?? NaN),
      clientSessionsLost: sum('sessionLost'),
      byCause,
      byClass,
      connectFailures,
      serverDisconnects: countsOf(metrics, /^transit_socket_disconnects_total\{reason="([^"]+)"\} (\d+)/gm),
      timeline: recycleTimeline(app.logs),
      workerRssMiB: { min: Math.round(rss.min), max: Math.round(rss.max) },
      primaryRssMiB: Math.round(rss.primary),
    };
  } finally {
    stopping = true;
    clearInterval(sample);
    for (const t of timers) clearTimeout(t);
    await Promise.all([...live].map((c) => c.close(2_000)));
    await app.stop();
  }
}

/** Engine.IO 400 classes other than "Session ID unknown". */
const OTHER_400_CLASSES = ['transport_unknown', 'bad_handshake_method', 'bad_request', 'protocol_mismatch'];

/**
 * 400 answers that are defects: "Session ID unknown" for a live session elsewhere (`misrouted`),
 * for an id never issued (`unknown`) or untagged, and any other Engine.IO 400. `ended` — a
 * session this deployment closed, e.g. by a recycle — is the protocol's answer, not a defect.
 */
export function bad400s(f: Pick<SoakFigures, 'byCause' | 'byClass'>): number {
  const sessions = Object.entries(f.byCause).reduce((n, [cause, k]) => (cause === 'ended' ? n : n + k), 0);
  return sessions + OTHER_400_CLASSES.reduce((n, k) => n + (f.byClass[k] ?? 0), 0);
}

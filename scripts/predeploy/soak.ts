/**
 * The soak's timeline: ramp up the clients, keep page-reload churn going, trigger recycles
 * and one worker kill spread over the run, watch for sessions that outlive their worker
 * ("ghosts"), show progress, and at the end give every client time to be connected again.
 */
import { percentile, type KillEvent } from './analysis.ts';
import { busiestWorker, killBusiestWorker, triggerRecycle, type TriggeredRecycle } from './actions.ts';
import { defect400s, type CountingProxy } from './counting-proxy.ts';
import { startEio3Clients, type Eio3Stats } from './eio3.ts';
import type { Options } from './options.ts';
import type { ServiceSettings } from './production.ts';
import type { Progress } from './progress.ts';
import type { Service } from './service.ts';
import { Fleet, kindsFor } from './soak-clients.ts';

export interface SoakEvent {
  /** ms since the start of the soak. */
  t: number;
  kind: 'recycle' | 'kill' | 'burst';
  label: string;
}

export interface SoakResult {
  t0: number;
  endAt: number;
  fleet: Fleet;
  kill?: KillEvent;
  triggered: TriggeredRecycle[];
  ghosts: { recycle: number; kill: number; other: number };
  connected: { t: number; n: number }[];
  liveAtEnd: number;
  connectedAtEnd: number;
  /** Pages that lived longer than reconnectWithinMs without ever connecting. */
  neverConnected: number;
  eio3: Eio3Stats | null;
  crashed?: { code: number | null; signal: string | null; atMs: number };
  events: SoakEvent[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** When (fraction of the run) each triggered recycle and the kill happen: evenly, kill in the middle. */
export function plan(recycles: number, kill: boolean): { at: number; what: 'recycle' | 'kill' }[] {
  const what: ('recycle' | 'kill')[] = Array.from({ length: recycles }, () => 'recycle' as const);
  if (kill) what.splice(Math.floor(what.length / 2), 0, 'kill');
  return what.map((w, i) => ({ at: ((i + 1) / (what.length + 1)) * 0.85, what: w }));
}

export async function runSoak(ctx: {
  opts: Options;
  settings: ServiceSettings;
  service: Service;
  proxy: CountingProxy;
  t0: number;
  progress: Progress;
}): Promise<SoakResult> {
  const { opts, service, proxy, t0, progress } = ctx;
  const fleet = new Fleet(proxy.url);
  const events: SoakEvent[] = [];
  const triggered: TriggeredRecycle[] = [];
  const ghostSeen = new Set<string>();
  const ghosts = { recycle: 0, kill: 0, other: 0 };
  const connected: { t: number; n: number }[] = [];
  let kill: KillEvent | undefined;
  let crashed: SoakResult['crashed'];
  let phase = 'ramp-up';
  const since = () => Date.now() - t0;

  // Ramp up over a few seconds, as a page-load burst would.
  const kinds = kindsFor(opts.clients, opts.mix.polling);
  const rampMs = Math.min(5_000, opts.durationMs / 8);
  const ramp = (async () => {
    for (const kind of kinds) {
      fleet.add(kind);
      await sleep(rampMs / kinds.length);
    }
  })();
  const eio3 = opts.eio3Clients > 0 ? startEio3Clients(proxy.url, opts.eio3Clients) : null;

  // Page reloads: close a page, open a new one (new clientId).
  let churnTimer: NodeJS.Timeout | undefined;
  if (opts.churnPerMin > 0) {
    churnTimer = setInterval(() => {
      const candidates = fleet.live().filter((c) => Date.now() - c.createdAt > 3_000);
      const c = candidates[Math.floor(Math.random() * candidates.length)];
      if (c) fleet.reload(c);
    }, 60_000 / opts.churnPerMin);
  }

  const actions = plan(opts.recycles, opts.kill);
  const running = (async () => {
    for (const a of actions) {
      const wait = a.at * opts.durationMs - since();
      if (wait > 0) await sleep(wait);
      if (crashed) return;
      if (a.what === 'kill') {
        kill = killBusiestWorker(service, fleet);
        if (kill) {
          events.push({ t: kill.at - t0, kind: 'kill', label: `SIGKILL worker ${kill.worker}` });
          progress.note(`  ${(since() / 1000).toFixed(1)} s: SIGKILL worker ${kill.worker} (${kill.victims} clients on it)`);
        }
      } else {
        phase = 'recycling a worker (SIGUSR2)';
        const r = await triggerRecycle(service, busiestWorker(service, fleet));
        phase = '';
        triggered.push(r);
        progress.note(`  ${(since() / 1000).toFixed(1)} s: ${r.recycled ? `worker ${r.worker} recycled` : 'no recycle'} after SIGUSR2 to worker ${r.worker}`);
      }
    }
  })();

  // The main loop: progress, ghosts, crash detection, until the duration is over.
  const state = (ph: string) => ({
    elapsedMs: Math.min(since(), opts.durationMs),
    durationMs: opts.durationMs,
    connected: fleet.connectedCount(),
    live: fleet.live().length,
    polls: proxy.counts.polls,
    // 400s for ended sessions are the protocol's answer, not failures.
    bad400: defect400s(proxy.counts),
    reconnects: fleet.reconnectTimes.length,
    recycles: [...service.workers.values()].filter((w) => w.recycleAt !== undefined).length,
    kills: kill ? 1 : 0,
    hung: proxy.counts.hung,
    latencyP95: percentile(fleet.latencies.map((l) => l.ms), 95),
    phase: ph,
  });
  while (since() < opts.durationMs) {
    await sleep(1_000);
    if (since() > rampMs && phase === 'ramp-up') phase = '';
    connected.push({ t: since(), n: fleet.connectedCount() });
    const now = Date.now();
    for (const c of fleet.live()) {
      if (!c.socket.connected || c.worker === null) continue;
      const w = service.workers.get(c.worker);
      if (!w?.exitAt || now - w.exitAt <= opts.reconnectWithinMs) continue;
      const key = `${c.index}:${c.socket.io.engine?.id}`;
      if (ghostSeen.has(key)) continue;
      ghostSeen.add(key);
      const cause = kill?.worker === w.id ? 'kill' : w.exitCause === 'worker_recycled' ? 'recycle' : 'other';
      ghosts[cause] += 1;
    }
    const ex = service.exited();
    if (ex && !ex.expected) {
      crashed = { code: ex.code, signal: ex.signal, atMs: ex.at - t0 };
      progress.note(`  ${(since() / 1000).toFixed(1)} s: the service exited (code ${ex.code}, signal ${ex.signal})`);
      break;
    }
    progress.update(state(phase));
  }
  const endAt = Date.now();
  clearInterval(churnTimer);
  await ramp;
  await running;
  await eio3?.stop();

  // Give every page time to be connected again (a reconnect in progress is not a failure).
  progress.update(state('settling'));
  const settleUntil = Date.now() + opts.reconnectWithinMs;
  while (!crashed && fleet.connectedCount() < fleet.live().length && Date.now() < settleUntil) await sleep(100);
  progress.end();
  return {
    t0,
    endAt,
    fleet,
    kill,
    triggered,
    ghosts,
    connected,
    liveAtEnd: fleet.live().length,
    connectedAtEnd: fleet.connectedCount(),
    neverConnected: fleet.clients.filter((c) => c.connects === 0 && (c.closedAt ?? Date.now()) - c.createdAt > opts.reconnectWithinMs).length,
    eio3: eio3?.stats ?? null,
    crashed,
    events: [
      ...events,
      ...triggered.map((r): SoakEvent => ({ t: r.from - t0, kind: 'burst', label: `SIGUSR2 to worker ${r.worker}` })),
    ].sort((a, b) => a.t - b.t),
  };
}

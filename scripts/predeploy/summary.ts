/**
 * The JSON summary: settings, figures, events, series and the verdict, assembled from what
 * the soak recorded; and the verdict as printed on the terminal.
 */
import { attribute, percentile, recycleRecords, splitLostAtKill, summarizeLosses, pct, type KillEvent, type LossSummary, type RecycleRecord } from './analysis.ts';
import type { CountingProxy, SessionUnknownCause } from './counting-proxy.ts';
import type { Eio3Stats } from './eio3.ts';
import type { Options } from './options.ts';
import type { ServiceSettings } from './production.ts';
import type { Scraper } from './scraper.ts';
import { buildSeries, windowFor, type SeriesPoint } from './series.ts';
import type { Service } from './service.ts';
import type { SoakEvent, SoakResult } from './soak.ts';
import type { SplitProbeResult } from './split-probe.ts';
import { judge, type Finding, type RequestLossFacts, type Verdict, type VerdictInput } from './verdict.ts';

type ByCause = Record<SessionUnknownCause, number>;

export interface Summary {
  verdict: 'PASS' | 'FAIL';
  causes: Finding[];
  warnings: Finding[];
  startedAt: string;
  finishedAt: string;
  options: Omit<Options, 'help'>;
  command: string[];
  settings: Record<string, string>;
  callerOverrides: Record<string, string>;
  proxy: { kind: 'none' | 'haproxy'; version?: string; timeouts?: { clientMs: number; serverMs: number; tunnelMs: number }; config?: string };
  figures: {
    durationMs: number;
    clients: { planned: number; total: number; reloads: number; polling: number; websocket: number; liveAtEnd: number; connectedAtEnd: number; neverConnected: number };
    polls: number;
    pollStatus: Record<string, number>;
    pollClasses: Record<string, number>;
    /** Polling 400 answers, except those for ended sessions (x-transit-session: ended). */
    bad400: number;
    /** Polling 400 "Session ID unknown" for misrouted or unknown sessions: what the threshold judges. */
    sessionUnknown400: number;
    /** Polling 400 "Session ID unknown" for ended sessions: informational. */
    ended400: number;
    rate400Pct: number;
    /** 400 "Session ID unknown" by x-transit-session, as the counting proxy saw them, and the service's own counter. */
    sessionUnknown: { polling: ByCause; websocket: ByCause; unlabelled: { polling: number; websocket: number }; server: ByCause | null };
    /** Requests without an answer (cause `requests_lost`). */
    requests: RequestLossFacts & { abandoned: number; unjudgedAtClose: number };
    /** The split-write probe against the service's port; `{ error }` if it could not run. */
    splitProbe: SplitProbeResult | { error: string } | null;
    websocketUpgrades: Record<string, number>;
    reconnects: { client: number; server: number | null };
    losses: { recycle: LossSummary; kill: LossSummary; other: LossSummary };
    ghosts: { recycle: number; kill: number; other: number };
    recycles: { total: number; triggered: number; byTraffic: number; records: RecycleRecord[] };
    kill: KillEvent | null;
    updateLatencyMs: { count: number; p50: number | null; p95: number | null; p99: number | null; max: number | null };
    deltas: number;
    snapshots: number;
    upstreamCalls: number | null;
    /** Upstream calls per hour at the run's pace, and the budget they are held to (`null`: unlimited). */
    upstreamPerHour: { pace: number | null; budget: number | null };
    sessionsLostServer: number | null;
    workerRestartsServer: number | null;
    eio3: Eio3Stats | null;
    metricsScrapes: number;
    badSamples: string[];
    connectErrors: Record<string, number>;
    /** Requests the counting proxy retried after meeting a pooled connection the service closed. */
    proxyRetries: number;
  };
  events: SoakEvent[];
  /** Every lost session (first 1000): seconds since start, cause, reason, worker, transport, ms until back. */
  disconnects: { t: number; client: number; cause: string; collateral: boolean; reason: string; detail: string; worker: number | null; transport: string; backMs: number | null }[];
  series: SeriesPoint[];
  serviceStderr: string;
}

export interface AssembleInput {
  opts: Options;
  command: string[];
  settingsEnv: Record<string, string>;
  callerOverrides: Record<string, string>;
  settings: ServiceSettings;
  startedAt: Date;
  proxy: Summary['proxy'];
  start?: { error: string; stderr: string };
  service?: Service;
  counting?: CountingProxy;
  scraper?: Scraper;
  soak?: SoakResult;
  probe?: SplitProbeResult | { error: string };
  shutdownCode?: number | null;
}

const EMPTY_LOSS: LossSummary = { count: 0, notBack: 0, pending: 0, maxBackMs: null, medianBackMs: null, byReason: {}, unclean: 0, collateral: 0 };

export function assemble(a: AssembleInput): Summary {
  const { opts, soak, service, counting, scraper } = a;
  const t0 = soak?.t0 ?? a.startedAt.getTime();
  const endAt = soak?.endAt ?? Date.now();
  const workers = service?.workers ?? new Map();
  const attributed = soak ? attribute(soak.fleet.disconnects, workers, soak.kill, counting?.sessionUnknownBySid) : [];
  const losses = {
    recycle: soak ? summarizeLosses(attributed, 'recycle', endAt, opts.reconnectWithinMs) : EMPTY_LOSS,
    kill: soak ? summarizeLosses(attributed, 'kill', endAt, opts.reconnectWithinMs) : EMPTY_LOSS,
    other: soak ? summarizeLosses(attributed, 'other', endAt, opts.reconnectWithinMs) : EMPTY_LOSS,
  };
  const windows = (soak?.triggered ?? []).map((r) => ({ from: r.from, to: r.to + 500 }));
  const recycles = recycleRecords(workers, windows).filter((r) => r.at >= t0);
  const lat = soak ? soak.fleet.latencies.map((l) => l.ms) : [];
  const counts = counting?.counts;
  const byClass = (counts?.byClass ?? {}) as Record<string, number>;
  const polls = counts?.polls ?? 0;
  const zero = (): ByCause => ({ misrouted: 0, ended: 0, unknown: 0 });
  const suPolling = counts?.sessionUnknown ?? zero();
  const suWs = counts?.wsSessionUnknown ?? zero();
  const bad400 = (counts?.byStatus['400'] ?? 0) - suPolling.ended;
  const points = scraper?.points ?? [];
  const firstP = points[0];
  const lastP = points[points.length - 1];
  const clients = soak?.fleet.clients ?? [];
  const durationMs = Math.min(endAt - t0, opts.durationMs);
  const lastSu = lastP?.sessionUnknownByCause;
  const firstSu = firstP?.sessionUnknownByCause;
  const serverSu: ByCause | null = lastSu
    ? { misrouted: lastSu.misrouted - (firstSu?.misrouted ?? 0), ended: lastSu.ended - (firstSu?.ended ?? 0), unknown: lastSu.unknown - (firstSu?.unknown ?? 0) }
    : null;
  const deadlineMs = counts?.hangMs ?? 0;
  const { cutAtKill, rest: lostRest } = splitLostAtKill(counts?.lost ?? [], soak?.kill);
  const hs = soak?.fleet.handshakeStats(deadlineMs) ?? { attempts: 0, hung: 0, deadlineMs };
  const requests: Summary['figures']['requests'] = {
    deadlineMs,
    forwarded: counts?.forwarded ?? 0,
    hung: counts?.hung ?? 0,
    // Counted in full (`closedNoResponse`), the kept list (first 5000) gives the kill's share.
    closed: Math.max(0, (counts?.closedNoResponse ?? 0) - cutAtKill.length),
    cutAtKill: cutAtKill.length,
    handshakes: hs.attempts,
    handshakesHung: hs.hung,
    samples: lostRest.slice(0, 5).map((l) => `${l.what}: ${l.detail} (${((l.at - t0) / 1000).toFixed(1)} s)`),
    abandoned: counts?.abandoned ?? 0,
    unjudgedAtClose: counts?.unjudgedAtClose ?? 0,
  };
  const probe = a.probe ?? null;

  const input: VerdictInput = {
    settings: a.settings,
    thresholds: { max400Rate: opts.max400Rate, reconnectWithinMs: opts.reconnectWithinMs, minWorkerLifeMs: opts.minWorkerLifeMs, maxLatencyP95Ms: opts.maxLatencyP95Ms },
    durationMs,
    start: a.start,
    crashed: soak?.crashed,
    shutdownCode: a.shutdownCode,
    drainTimeouts: service?.drainTimeouts() ?? 0,
    proxy: { kind: a.proxy.kind, timeouts: a.proxy.timeouts },
    traffic: {
      polls,
      byStatus: counts?.byStatus ?? {},
      byClass,
      wsByStatus: counts?.wsByStatus ?? {},
      sessionUnknown: { ...suPolling, unlabelled: counts?.sessionUnknownUnlabelled ?? 0 },
      wsSessionUnknown: { ...suWs, unlabelled: counts?.wsSessionUnknownUnlabelled ?? 0 },
    },
    clients: {
      total: clients.length,
      neverConnected: soak?.neverConnected ?? 0,
      liveAtEnd: soak?.liveAtEnd ?? 0,
      connectedAtEnd: soak?.connectedAtEnd ?? 0,
      connectErrors: soak?.fleet.connectErrors ?? {},
    },
    losses,
    ghosts: soak?.ghosts ?? { recycle: 0, kill: 0, other: 0 },
    recycles,
    recyclesRequested: opts.recycles,
    kill: soak?.kill,
    latency: { count: lat.length, p95: percentile(lat, 95) },
    upstream: {
      calls: firstP && lastP ? lastP.upstreamCalls - firstP.upstreamCalls : null,
      expectedMax: Math.ceil(durationMs / a.settings.pollIntervalMs) + 3,
    },
    eio3: { clients: opts.eio3Clients, attempts: soak?.eio3?.attempts ?? 0 },
    metricsFailures: scraper?.failures() ?? 0,
    requests: counting ? requests : undefined,
    probe,
  };
  const verdict: Verdict = judge(input);

  const events: SoakEvent[] = [...(soak?.events ?? [])];
  for (const r of recycles) events.push({ t: (r.drainAt ?? r.at) - t0, kind: 'recycle', label: `worker ${r.worker} recycled${r.triggered ? ' (triggered)' : ''}` });
  events.sort((x, y) => x.t - y.t);
  const { help: _help, ...options } = opts;
  return {
    verdict: verdict.pass ? 'PASS' : 'FAIL',
    causes: verdict.causes,
    warnings: verdict.warnings,
    startedAt: a.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    options,
    command: a.command,
    settings: a.settingsEnv,
    callerOverrides: a.callerOverrides,
    proxy: a.proxy,
    figures: {
      durationMs,
      clients: {
        planned: opts.clients,
        total: clients.length,
        reloads: soak?.fleet.reloads ?? 0,
        polling: clients.filter((c) => c.kind === 'polling').length,
        websocket: clients.filter((c) => c.kind === 'websocket').length,
        liveAtEnd: input.clients.liveAtEnd,
        connectedAtEnd: input.clients.connectedAtEnd,
        neverConnected: input.clients.neverConnected,
      },
      polls,
      pollStatus: counts?.byStatus ?? {},
      pollClasses: byClass,
      bad400,
      sessionUnknown400: suPolling.misrouted + suPolling.unknown,
      ended400: suPolling.ended,
      rate400Pct: pct(bad400, polls),
      sessionUnknown: {
        polling: suPolling,
        websocket: suWs,
        unlabelled: { polling: counts?.sessionUnknownUnlabelled ?? 0, websocket: counts?.wsSessionUnknownUnlabelled ?? 0 },
        server: serverSu,
      },
      requests,
      splitProbe: probe,
      websocketUpgrades: counts?.wsByStatus ?? {},
      reconnects: { client: soak?.fleet.reconnectTimes.length ?? 0, server: firstP && lastP ? lastP.reconnects - firstP.reconnects : null },
      losses,
      ghosts: input.ghosts,
      recycles: { total: recycles.length, triggered: recycles.filter((r) => r.triggered).length, byTraffic: recycles.filter((r) => !r.triggered).length, records: recycles },
      kill: soak?.kill ?? null,
      updateLatencyMs: { count: lat.length, p50: percentile(lat, 50), p95: percentile(lat, 95), p99: percentile(lat, 99), max: percentile(lat, 100) },
      deltas: soak?.fleet.deltas ?? 0,
      snapshots: soak?.fleet.snapshots ?? 0,
      upstreamCalls: input.upstream.calls,
      upstreamPerHour: {
        pace: input.upstream.calls === null || input.durationMs <= 0 ? null : Math.round((input.upstream.calls * 3_600_000) / input.durationMs),
        budget: input.settings.upstreamBudgetPerHour ?? null,
      },
      sessionsLostServer: firstP && lastP ? lastP.sessionsLost - firstP.sessionsLost : null,
      workerRestartsServer: firstP && lastP ? lastP.workerRestarts - firstP.workerRestarts : null,
      eio3: soak?.eio3 ?? null,
      metricsScrapes: points.length,
      badSamples: counts?.badSamples ?? [],
      connectErrors: input.clients.connectErrors,
      proxyRetries: counting?.retries() ?? 0,
    },
    events,
    disconnects: attributed.slice(0, 1000).map((d) => ({
      t: Math.round((d.at - t0) / 100) / 10,
      client: d.client,
      cause: d.cause,
      collateral: d.collateral,
      reason: d.reason,
      detail: d.detail,
      worker: d.worker,
      transport: d.transport,
      backMs: d.backAt === null ? null : d.backAt - d.at,
    })),
    series: soak && counting
      ? buildSeries({ t0, durationMs, windowMs: windowFor(durationMs), buckets: counting.buckets, latencies: soak.fleet.latencies, reconnectTimes: soak.fleet.reconnectTimes, connected: soak.connected, points })
      : [],
    serviceStderr: (a.start?.stderr ?? service?.stderr() ?? '').slice(-8_000),
  };
}

/** The verdict block printed at the end of a run. */
export function verdictText(s: Summary): string {
  const f = s.figures;
  const l = f.updateLatencyMs;
  const q = f.requests;
  const p = f.splitProbe;
  const su = f.sessionUnknown;
  const lines = [
    '',
    `clients ${f.clients.planned} (+${f.clients.reloads} reloads, ${f.clients.polling} polling-only / ${f.clients.websocket} websocket)  polls ${f.polls}  400s ${f.bad400} (${f.rate400Pct} %)` +
      `  session unknown: misrouted ${su.polling.misrouted} unknown ${su.polling.unknown}, ended ${su.polling.ended + su.websocket.ended} (expected, not counted)`,
    `requests ${q.forwarded}, ${q.hung + q.closed} lost or hung (deadline ${q.deadlineMs} ms${q.cutAtKill ? `, ${q.cutAtKill} cut by the kill not counted` : ''})  handshakes ${q.handshakes} (${q.handshakesHung} never completed)` +
      `  split-write probe ${p === null ? '–' : 'error' in p ? `error: ${p.error}` : `${p.answered}/${p.total} answered within ${p.timeoutMs} ms`}`,
    `reconnects ${f.reconnects.client} (server counted ${f.reconnects.server ?? '–'})  recycles ${f.recycles.total} (${f.recycles.triggered} triggered)  kills ${f.kill ? 1 : 0}  upstream calls ${f.upstreamCalls ?? '–'} (≈ ${f.upstreamPerHour.pace ?? '–'}/h, budget ${f.upstreamPerHour.budget ?? 'unlimited'}/h)`,
    `update latency p50 ${l.p50 ?? '–'} ms  p95 ${l.p95 ?? '–'} ms  p99 ${l.p99 ?? '–'} ms  (${l.count} deltas)`,
    '',
    `VERDICT: ${s.verdict}`,
    ...s.causes.map((c) => `  ✗ ${c.title}\n      ${c.detail}`),
    ...s.warnings.map((w) => `  ! ${w.title}${w.detail ? `\n      ${w.detail}` : ''}`),
  ];
  return lines.join('\n');
}

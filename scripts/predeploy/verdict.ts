/**
 * The verdict: pure rules over the soak's facts. Each failed rule is a named cause with what
 * was measured and what to change; warnings are what our own bar (0 × 400, no unexplained
 * session loss) does not accept but the run can survive.
 */
import { median, pct, type LossSummary, type RecycleRecord } from './analysis.ts';
import type { ServiceSettings } from './production.ts';

export type CauseId =
  | 'service_start'
  | 'service_crashed'
  | 'session_unknown'
  | 'recycle_drops_sessions'
  | 'proxy_idle_timeout'
  | 'protocol_mismatch'
  | 'worker_kill_recovery'
  | 'sessions_lost'
  | 'clients_disconnected'
  | 'connect_failures'
  | 'requests_lost'
  | 'update_latency'
  | 'upstream_budget';

export interface Finding {
  id: string;
  title: string;
  detail: string;
}

export interface Verdict {
  pass: boolean;
  causes: (Finding & { id: CauseId })[];
  warnings: Finding[];
}

/** 400 "Session ID unknown" answers by the service's `x-transit-session` header. */
export interface SessionUnknownCounts {
  /** The sid names a live session on another worker: routing is broken. */
  misrouted: number;
  /** A session this deployment issued and closed: Engine.IO v4's answer, not a failure. */
  ended: number;
  /** Never issued here, or no header (a service that does not label its 400s). */
  unknown: number;
  /** Of `unknown`, those without the header. */
  unlabelled?: number;
}

/** Requests that got no answer: the counting proxy's and the clients' view of the soak. */
export interface RequestLossFacts {
  /** No response head within this (pingInterval + margin, see counting-proxy.ts) is a hang. */
  deadlineMs: number;
  /** Requests the counting proxy forwarded (upgrades included). */
  forwarded: number;
  /** Forwarded requests without a response head within `deadlineMs`. */
  hung: number;
  /** Forwarded requests whose upstream connection closed without a response, the planned kill's excepted. */
  closed: number;
  /** Closed without a response as the planned SIGKILL cut them: expected, not counted. */
  cutAtKill: number;
  /** Client connect attempts (first connects and reconnects). */
  handshakes: number;
  /** Connect attempts that never completed (socket.io-client's connect timeout, or no result within `deadlineMs`). */
  handshakesHung: number;
  samples: string[];
}

/** The split-write probe's outcome (see split-probe.ts). */
export interface ProbeFacts {
  total: number;
  lost: number;
  timeoutMs: number;
  byKind: Record<string, { sent: number; lost: number }>;
  samples: string[];
}

/**
 * More than this many 400s for ended sessions per session the run ended is a warning: a
 * client has at most its pending poll, one POST and one websocket probe in flight when its
 * session ends, each of which may be answered 400 `ended` once.
 */
export const ENDED_400_PER_SESSION = 3;

export interface VerdictInput {
  settings: ServiceSettings;
  thresholds: { max400Rate: number; reconnectWithinMs: number; minWorkerLifeMs: number; maxLatencyP95Ms: number };
  durationMs: number;
  start?: { error: string; stderr: string };
  crashed?: { code: number | null; signal: string | null; atMs: number };
  shutdownCode?: number | null;
  drainTimeouts: number;
  proxy: { kind: 'none' | 'haproxy'; timeouts?: { clientMs: number; serverMs: number; tunnelMs: number } };
  traffic: {
    polls: number;
    byStatus: Record<string, number>;
    byClass: Record<string, number>;
    wsByStatus: Record<string, number>;
    /** Polling 400 "Session ID unknown" by cause; absent: every `session_unknown` counts as `unknown`. */
    sessionUnknown?: SessionUnknownCounts;
    /** Websocket upgrades answered 400 "Session ID unknown", by cause. */
    wsSessionUnknown?: SessionUnknownCounts;
  };
  clients: { total: number; neverConnected: number; liveAtEnd: number; connectedAtEnd: number; connectErrors: Record<string, number> };
  losses: { recycle: LossSummary; kill: LossSummary; other: LossSummary };
  ghosts: { recycle: number; kill: number; other: number };
  recycles: RecycleRecord[];
  /** Recycles the harness meant to trigger. */
  recyclesRequested: number;
  kill?: { worker: number; victims: number };
  latency: { count: number; p95: number | null };
  upstream: { calls: number | null; expectedMax: number };
  eio3: { clients: number; attempts: number };
  metricsFailures: number;
  requests?: RequestLossFacts;
  /** The split-write probe; `{ error }` if it could not run. */
  probe?: ProbeFacts | { error: string } | null;
}

const list = (o: Record<string, number>, max = 4) =>
  Object.entries(o)
    .sort((a, b) => b[1] - a[1])
    .slice(0, max)
    .map(([k, v]) => `${k} × ${v}`)
    .join(', ');

export function judge(i: VerdictInput): Verdict {
  const causes: Verdict['causes'] = [];
  const warnings: Finding[] = [];
  const s = i.settings;
  const within = i.thresholds.reconnectWithinMs;

  if (i.start) {
    causes.push({ id: 'service_start', title: `the production command did not start: ${i.start.error}`, detail: i.start.stderr.split('\n').slice(0, 12).join('\n') });
    return { pass: false, causes, warnings };
  }
  if (i.crashed) {
    causes.push({
      id: 'service_crashed',
      title: `the service exited during the soak (code ${i.crashed.code}, signal ${i.crashed.signal}) after ${Math.round(i.crashed.atMs / 1000)} s`,
      detail: 'The primary process ended while clients were connected: every session was lost. See its stderr in the JSON summary.',
    });
  }

  // (a) Session ID unknown: polls reaching a worker that does not own the session. Only
  // `misrouted` and `unknown` count (and the rate); `ended` is the protocol's answer.
  const su = sessionUnknownOf(i.traffic);
  const unknown = su.misrouted + su.unknown;
  const rate = i.traffic.polls === 0 ? 0 : unknown / i.traffic.polls;
  const unsafe = !s.sticky && s.workers > 1;
  const wsSu = i.traffic.wsSessionUnknown;
  const breakdown =
    `By x-transit-session: misrouted ${su.misrouted}, unknown ${su.unknown}` +
    (su.unlabelled ? ` (${su.unlabelled} without the header, counted as unknown)` : '') +
    (su.ended ? `; ${su.ended} more for sessions the service had ended are not counted` : '') +
    (wsSu && wsSu.misrouted + wsSu.unknown > 0 ? `; websocket upgrades refused: misrouted ${wsSu.misrouted}, unknown ${wsSu.unknown}` : '') +
    '.';
  if (unknown > 0 && rate >= i.thresholds.max400Rate) {
    causes.push({
      id: 'session_unknown',
      title: `${unsafe ? 'multi-worker without stickiness: ' : ''}${unknown} of ${i.traffic.polls} polls (${pct(unknown, i.traffic.polls)} %) got 400 "Session ID unknown"`,
      detail:
        (unsafe
          ? `STICKY=false with WEB_CONCURRENCY=${s.workers}: each long-poll or POST goes to any worker, and only the one that made the session knows it. Set STICKY=true (the default) — or, as a stop-gap, WEB_CONCURRENCY=1 or TRANSPORTS=websocket.`
          : su.misrouted >= su.unknown
            ? `Polls reached a worker (or instance) that does not own their session: something between the browser and the service spreads one session over several backends. Route every request of a session to its owner.`
            : `Polls carried session ids this deployment never issued (another deployment's or instance's sessions, or a service that does not label its 400s with x-transit-session). Route every request of a session to the instance that made it.`) +
        ` ${breakdown}`,
    });
  } else if (unknown > 0) {
    warnings.push({
      id: 'session_unknown_below_threshold',
      title: `${unknown} × 400 "Session ID unknown" (${pct(unknown, i.traffic.polls)} % of ${i.traffic.polls} polls)`,
      detail: `Below the ${i.thresholds.max400Rate * 100} % alert threshold, but this service's bar is 0: each one costs a client its session. ${breakdown}`,
    });
  } else if (unsafe) {
    warnings.push({ id: 'unsafe_topology', title: `STICKY=false with ${s.workers} workers`, detail: 'No 400 seen in this run, but long-polling clients will get "Session ID unknown".' });
  }
  const other400 = Object.entries(i.traffic.byClass)
    .filter(([k]) => ['transport_unknown', 'bad_handshake_method', 'bad_request', 'forbidden'].includes(k))
    .reduce((n, [, v]) => n + v, 0);
  if (other400 > 0) warnings.push({ id: 'other_400', title: `${other400} other 4xx polling answers`, detail: list(i.traffic.byClass) });
  // 400s for ended sessions: informational (a figure), unless far more than the sessions that ended.
  const ended = su.ended + (wsSu?.ended ?? 0);
  const sessionsEnded = i.losses.recycle.count + i.losses.kill.count + i.losses.other.count + i.clients.total;
  if (ended > ENDED_400_PER_SESSION * Math.max(1, sessionsEnded)) {
    warnings.push({
      id: 'session_ended_excess',
      title: `${ended} × 400 "Session ID unknown" for ended sessions, more than ${ENDED_400_PER_SESSION} per session this run ended (${sessionsEnded})`,
      detail: `x-transit-session: ended is the right answer to a request for a session the service closed (ping timeout, client close, aborted poll, recycle, killed worker), but a client has at most ${ENDED_400_PER_SESSION} requests in flight when that happens. Are live sessions being answered as ended? Sessions ended: ${i.losses.recycle.count} by recycles, ${i.losses.kill.count} by the kill, ${i.losses.other.count} otherwise, ${i.clients.total} pages closed.`,
    });
  }

  // (b) Recycling that drops sessions.
  const recycleParts: string[] = [];
  const natural = i.recycles.filter((r) => !r.triggered);
  const short = natural.filter((r) => r.lifetimeMs !== null && r.lifetimeMs < i.thresholds.minWorkerLifeMs);
  if (short.length > 0) {
    const life = median(short.map((r) => r.lifetimeMs!)) ?? 0;
    recycleParts.push(
      `${short.length} workers recycled by MAX_SESSIONS_PER_WORKER=${s.maxSessions} (+ jitter ${s.maxSessionsJitter}) after a median ${(life / 1000).toFixed(1)} s of life (< ${i.thresholds.minWorkerLifeMs / 1000} s)`,
    );
  }
  if (i.losses.recycle.notBack > 0) recycleParts.push(`${i.losses.recycle.notBack} of ${i.losses.recycle.count} sessions lost to a recycle not back within ${within} ms`);
  if (i.ghosts.recycle > 0) recycleParts.push(`${i.ghosts.recycle} clients still held sessions of a recycled worker ${within} ms after it exited`);
  if (i.drainTimeouts > 0) recycleParts.push(`${i.drainTimeouts} workers missed GRACEFUL_TIMEOUT_MS=${s.gracefulTimeoutMs} and were killed mid-drain`);
  if (recycleParts.length > 0) {
    const lost = natural.reduce((n, r) => n + (r.sessions ?? 0), 0);
    const perClientMin = i.clients.total > 0 ? lost / i.clients.total / (i.durationMs / 60_000) : 0;
    causes.push({
      id: 'recycle_drops_sessions',
      title: `recycling drops sessions: ${recycleParts.join('; ')}`,
      detail:
        `${i.recycles.length} recycles (${natural.length} by traffic), ${i.losses.recycle.count} sessions lost to them` +
        (natural.length ? `, ${perClientMin.toFixed(2)} per client per minute by traffic alone` : '') +
        `. Every recycle ends the sessions of its worker, and their reconnects count as new sessions on the others: a MAX_SESSIONS_PER_WORKER near the sessions one worker holds (clients ÷ workers) recycles workers back to back. Size it from the README arithmetic (sessions per worker per day), keep MAX_SESSIONS_JITTER and MIN_WORKER_LIFETIME_MS, and keep GRACEFUL_TIMEOUT_MS long enough to drain.`,
    });
  }
  if (i.losses.recycle.collateral > 0) {
    warnings.push({
      id: 'recycle_collateral',
      title: `${i.losses.recycle.collateral} sessions of other workers lost when a recycled worker exited`,
      detail: `Their requests crossed the draining worker's pooled keep-alive connections (an edge proxy's pool) and were cut when it exited instead of being let finish. ${list(i.losses.recycle.byReason)}`,
    });
  } else if (i.losses.recycle.unclean > 0) {
    warnings.push({ id: 'recycle_unclean', title: `${i.losses.recycle.unclean} sessions ended by a recycle without a clean close`, detail: list(i.losses.recycle.byReason) });
  }
  if (i.recyclesRequested > 0 && i.recycles.length === 0) {
    warnings.push({ id: 'no_recycle', title: 'no worker was recycled during the run', detail: `SIGUSR2 was sent ${i.recyclesRequested} times (MAX_SESSIONS_PER_WORKER=${s.maxSessions}): recycling was not exercised.` });
  }

  // (c) A proxy idle timeout shorter than Engine.IO's heartbeat.
  const heartbeat = s.pingIntervalMs + s.pingTimeoutMs;
  const gw = i.traffic.byStatus['504'] ?? 0;
  const effect = `${gw} long-polls answered 504 by the proxy; ${i.losses.other.count} sessions lost for no planned reason${i.losses.other.count ? ` (${list(i.losses.other.byReason, 3)})` : ''}`;
  const t = i.proxy.timeouts;
  const idle = t ? Math.min(t.clientMs, t.serverMs, t.tunnelMs) : null;
  if (i.proxy.kind !== 'none' && idle !== null && idle < heartbeat) {
    causes.push({
      id: 'proxy_idle_timeout',
      title: `proxy idle timeout ${idle} ms < pingInterval + pingTimeout = ${heartbeat} ms`,
      detail: `HAProxy timeout client ${t!.clientMs} ms / server ${t!.serverMs} ms / tunnel ${t!.tunnelMs} ms cut a long-poll or an idle websocket before the next ping (every ${s.pingIntervalMs} ms). Effect: ${effect}. Set every proxy idle timeout above ${heartbeat} ms.`,
    });
  } else if (gw > 0) {
    causes.push({ id: 'proxy_idle_timeout', title: `proxy idle timeout: ${gw} long-polls cut with 504 Gateway Timeout`, detail: `${effect}. A proxy in front cuts requests that wait for the next ping (every ${s.pingIntervalMs} ms).` });
  }

  // (d) Client/server protocol mismatch.
  const mismatch = i.traffic.byClass.protocol_mismatch ?? 0;
  if (mismatch > 0) {
    causes.push({
      id: 'protocol_mismatch',
      title: `client/server protocol mismatch: ${mismatch} handshakes got 400 {"code":5,"message":"Unsupported protocol version"}`,
      detail: `${i.eio3.clients ? `${i.eio3.clients} Engine.IO 3 clients (socket.io-client 2.x, EIO=3)` : 'Clients'} met a server that speaks Engine.IO 4 only (socket.io 4): they never connect and retry forever. Ship socket.io-client 4 to every client (a cache-busted bundle), or enable allowEIO3 on the server while old clients remain.`,
    });
  }

  // A killed worker: its clients must be back quickly (the replacement or the other worker).
  if (i.kill && (i.losses.kill.notBack > 0 || i.ghosts.kill > 0)) {
    causes.push({
      id: 'worker_kill_recovery',
      title: `worker kill: ${i.losses.kill.notBack + i.ghosts.kill} of ${i.kill.victims} sessions of worker ${i.kill.worker} not back within ${within} ms`,
      detail: `After SIGKILL of one worker its clients must reconnect to a live worker at once (max back after ${i.losses.kill.maxBackMs ?? '–'} ms). ${s.workers === 1 ? 'WEB_CONCURRENCY=1: nobody serves while the replacement boots.' : ''}`.trim(),
    });
  }
  if (i.losses.other.notBack > 0 || i.ghosts.other > 0) {
    causes.push({
      id: 'sessions_lost',
      title: `sessions lost without reconnect: ${i.losses.other.notBack + i.ghosts.other} of ${i.losses.other.count} lost sessions not back within ${within} ms`,
      detail: list(i.losses.other.byReason),
    });
  } else if (i.losses.other.count > 0 && !causes.some((c) => c.id === 'proxy_idle_timeout' || c.id === 'session_unknown')) {
    warnings.push({ id: 'unexplained_losses', title: `${i.losses.other.count} sessions lost for no planned reason (all came back)`, detail: list(i.losses.other.byReason) });
  }
  if (i.clients.connectedAtEnd < i.clients.liveAtEnd) {
    causes.push({
      id: 'clients_disconnected',
      title: `${i.clients.liveAtEnd - i.clients.connectedAtEnd} of ${i.clients.liveAtEnd} clients not connected at the end of the run`,
      detail: `Waited ${within} ms for them after the soak. Connect errors: ${list(i.clients.connectErrors) || 'none'}.`,
    });
  }
  if (i.clients.neverConnected > 0) {
    causes.push({
      id: 'connect_failures',
      title: `${i.clients.neverConnected} of ${i.clients.total} clients never connected`,
      detail: `Connect errors: ${list(i.clients.connectErrors) || 'none'}.`,
    });
  }

  // Requests that got no answer at all: hung, or their connection closed under them.
  const lostCause = requestsLost(i);
  if (lostCause) causes.push(lostCause);
  const budget = upstreamBudgetCause(i);
  if (budget) causes.push(budget);
  if (i.probe && 'error' in i.probe) warnings.push({ id: 'split_probe', title: `the split-write probe did not run: ${i.probe.error}`, detail: '' });

  if (i.latency.p95 !== null && i.latency.p95 > i.thresholds.maxLatencyP95Ms) {
    causes.push({ id: 'update_latency', title: `update latency p95 ${i.latency.p95} ms > ${i.thresholds.maxLatencyP95Ms} ms`, detail: 'Receive time − delta.generatedAt over every delta received.' });
  } else if (i.latency.count === 0 && i.durationMs > 2 * s.pollIntervalMs) {
    warnings.push({ id: 'no_deltas', title: 'no vehicles:delta received', detail: `POLL_INTERVAL_MS=${s.pollIntervalMs}; update latency was not measured.` });
  }

  const errors5xx = Object.entries(i.traffic.byStatus).filter(([k]) => Number(k) >= 500 && k !== '504').reduce((n, [, v]) => n + v, 0);
  if (errors5xx > 0) warnings.push({ id: 'server_errors', title: `${errors5xx} polling answers were 5xx (${list(Object.fromEntries(Object.entries(i.traffic.byStatus).filter(([k]) => Number(k) >= 500)))})`, detail: 'Requests in flight on a killed (or exiting) worker, answered 502 by the counting proxy.' });
  // Refused upgrades for ended sessions (a probe racing its session's end) are expected.
  const wsBad = Object.entries(i.traffic.wsByStatus)
    .map(([k, v]): [string, number] => [k, k === '400' ? v - (wsSu?.ended ?? 0) : v])
    .filter(([k, v]) => k !== '101' && v > 0);
  if (wsBad.length > 0) warnings.push({ id: 'websocket_refused', title: `websocket upgrades not answered 101: ${list(Object.fromEntries(wsBad))}`, detail: '' });
  if (i.upstream.calls !== null && i.upstream.calls > i.upstream.expectedMax) {
    warnings.push({ id: 'upstream_calls', title: `${i.upstream.calls} upstream calls, more than one poller makes (≤ ${i.upstream.expectedMax})`, detail: `POLL_INTERVAL_MS=${s.pollIntervalMs}.` });
  }
  if (i.shutdownCode !== undefined && i.shutdownCode !== 0) warnings.push({ id: 'shutdown', title: `the service exited with code ${i.shutdownCode} on SIGTERM`, detail: 'See stderr in the JSON summary.' });
  if (i.metricsFailures > 0) warnings.push({ id: 'metrics', title: `${i.metricsFailures} /metrics scrapes failed`, detail: '' });

  return { pass: causes.length === 0, causes, warnings };
}

/**
 * Upstream calls against UPSTREAM_BUDGET_PER_HOUR: more calls in a run shorter than an hour
 * than the budget means some rolling hour held more; so does a pace (after the first poll, which any start
 * makes) that projects to more than the budget per hour.
 */
export function upstreamBudgetCause(i: VerdictInput): (Finding & { id: 'upstream_budget' }) | null {
  const budget = i.settings.upstreamBudgetPerHour;
  const calls = i.upstream.calls;
  if (!budget || calls === null || i.durationMs <= 0) return null;
  const paced = Math.max(0, calls - (i.settings.callsPerPoll ?? 1));
  const perHour = Math.round((paced * 3_600_000) / i.durationMs);
  // A run shorter than an hour lies inside one rolling hour: all its calls count against it.
  const oneHourHolds = i.durationMs < 3_600_000 ? calls : 0;
  if (oneHourHolds <= budget && perHour <= budget) return null;
  return {
    id: 'upstream_budget',
    title: `upstream budget exceeded: ${calls} upstream calls in ${Math.round(i.durationMs / 1000)} s (≈ ${perHour}/h) > UPSTREAM_BUDGET_PER_HOUR=${budget}`,
    detail: 'The poller must never spend more than the budget in any rolling hour (511.org refuses a key past 60/h). Check that one poller runs per deployment (REDIS_URL shares the budget), and the upstream_budget line the service logs at startup.',
  };
}

/** Session-unknown counts by cause; without them every `session_unknown` answer is `unknown`. */
export function sessionUnknownOf(t: VerdictInput['traffic']): SessionUnknownCounts {
  return t.sessionUnknown ?? { misrouted: 0, ended: 0, unknown: t.byClass.session_unknown ?? 0 };
}

function requestsLost(i: VerdictInput): (Finding & { id: CauseId }) | null {
  const r = i.requests;
  // After a crash every request fails; the crash is the cause.
  const soakLost = r && !i.crashed ? r.hung + r.closed + r.handshakesHung : 0;
  const probe = i.probe && !('error' in i.probe) ? i.probe : null;
  const probeLost = probe?.lost ?? 0;
  if (soakLost + probeLost === 0) return null;
  const parts: string[] = [];
  const details: string[] = [];
  if (r && soakLost > 0) {
    parts.push(`${soakLost} of ${r.forwarded + r.handshakes} got no answer within ${r.deadlineMs} ms`);
    const bits: string[] = [];
    if (r.hung) bits.push(`${r.hung} of ${r.forwarded} requests through the counting proxy had no response head within ${r.deadlineMs} ms (a long-poll waits at most PING_INTERVAL_MS=${i.settings.pingIntervalMs} for its ping)`);
    if (r.closed) bits.push(`${r.closed} had their connection to the service closed without a response`);
    if (r.handshakesHung) bits.push(`${r.handshakesHung} of ${r.handshakes} client handshakes never completed (socket.io-client's connect timeout, or no result within ${r.deadlineMs} ms)`);
    details.push(`Soak: ${bits.join('; ')}${r.cutAtKill ? ` (${r.cutAtKill} more, cut by the planned SIGKILL, are not counted)` : ''}.`);
  }
  if (probe && probeLost > 0) {
    parts.push(`split-write probe: ${probeLost} of ${probe.total} got no answer within ${probe.timeoutMs} ms`);
    const kinds = Object.entries(probe.byKind)
      .filter(([, k]) => k.sent > 0)
      .map(([name, k]) => `${name} ${k.lost}/${k.sent}`)
      .join(', ');
    details.push(`Split-write probe straight to the service's port, unanswered: ${kinds}. A request whose headers or body arrive in a later TCP segment than its request line must still be answered: the bytes after the first segment have to reach the worker the primary hands the connection to.`);
  }
  const samples = [...new Set([...(r && soakLost > 0 ? r.samples : []), ...(probe?.samples ?? [])])].slice(0, 4);
  return {
    id: 'requests_lost',
    title: `requests lost or hung: ${parts.join('; ')}`,
    detail: `${details.join(' ')} Every request the service accepts must get an answer, or a client waits for nothing and its session dies.${samples.length ? ` E.g. ${samples.join(' | ')}` : ''}`,
  };
}

/**
 * Time series for the report, one point per window: 400 rate (independent count; 400s for
 * ended sessions apart), connections
 * (clients and the service's gauge), reconnects, update latency and upstream calls. Pure.
 */
import { percentile } from './analysis.ts';
import type { Bucket } from './counting-proxy.ts';
import type { MetricsPoint } from './scraper.ts';
import type { LatencySample } from './soak-clients.ts';

export interface SeriesPoint {
  /** End of the window, seconds since the start of the soak. */
  t: number;
  polls: number;
  /** 400 answers except those for ended sessions (x-transit-session: ended). */
  bad400: number;
  rate400Pct: number;
  /** 400 "Session ID unknown" for ended sessions: expected, drawn for information. */
  ended400: number;
  ended400Pct: number;
  connectedClients: number | null;
  connectionsPolling: number | null;
  connectionsWebsocket: number | null;
  reconnectsClient: number;
  reconnectsServer: number | null;
  latencyP50: number | null;
  latencyP95: number | null;
  upstreamCalls: number | null;
}

export interface SeriesInput {
  t0: number;
  durationMs: number;
  windowMs: number;
  buckets: readonly Bucket[];
  latencies: readonly LatencySample[];
  reconnectTimes: readonly number[];
  connected: readonly { t: number; n: number }[];
  points: readonly MetricsPoint[];
}

/** A window that keeps a report under ~150 points: 2 s for a minute, 5 s for five. */
export function windowFor(durationMs: number): number {
  return Math.max(2_000, Math.ceil(durationMs / 120 / 1000) * 1000);
}

export function buildSeries(i: SeriesInput): SeriesPoint[] {
  const out: SeriesPoint[] = [];
  const first = i.points[0];
  const windows = Math.max(1, Math.ceil(i.durationMs / i.windowMs));
  for (let k = 0; k < windows; k++) {
    const from = k * i.windowMs;
    const to = Math.min(i.durationMs, (k + 1) * i.windowMs);
    let polls = 0;
    let bad400 = 0;
    let ended400 = 0;
    for (let sec = Math.floor(from / 1000); sec < Math.ceil(to / 1000); sec++) {
      const b = i.buckets[sec];
      if (!b) continue;
      polls += b.polls;
      const ended = b.sessionUnknown?.ended ?? 0;
      bad400 += (b.byStatus['400'] ?? 0) - ended;
      ended400 += ended;
    }
    const lat = i.latencies.filter((l) => l.at - i.t0 >= from && l.at - i.t0 < to).map((l) => l.ms);
    const conn = lastAtOrBefore(i.connected, to);
    const p = lastAtOrBefore(i.points, to);
    out.push({
      t: Math.round(to / 100) / 10,
      polls,
      bad400,
      rate400Pct: polls === 0 ? 0 : Math.round((10_000 * bad400) / polls) / 100,
      ended400,
      ended400Pct: polls === 0 ? 0 : Math.round((10_000 * ended400) / polls) / 100,
      connectedClients: conn?.n ?? null,
      connectionsPolling: p?.connectionsPolling ?? null,
      connectionsWebsocket: p?.connectionsWebsocket ?? null,
      reconnectsClient: i.reconnectTimes.filter((t) => t - i.t0 < to).length,
      reconnectsServer: p && first ? p.reconnects - first.reconnects : null,
      latencyP50: percentile(lat, 50),
      latencyP95: percentile(lat, 95),
      upstreamCalls: p ? p.upstreamCalls : null,
    });
  }
  return out;
}

function lastAtOrBefore<T extends { t: number }>(xs: readonly T[], t: number): T | undefined {
  let found: T | undefined;
  for (const x of xs) {
    if (x.t <= t) found = x;
    else break;
  }
  return found;
}

/**
 * Scrapes the service's own /metrics (the primary's aggregate of every worker) every few
 * seconds, keeping the series the report draws. Metric names: docs/metrics.md.
 */

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (the subset prom-client writes). */
export function parsePromText(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    let l: RegExpExecArray | null;
    while ((l = re.exec(m[3] ?? ''))) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const value = m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : Number(m[4]);
    out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** Sum of `name` over the series whose labels include `match`. */
export function sumOf(samples: PromSample[], name: string, match: Record<string, string> = {}): number {
  let total = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) total += s.value;
  }
  return total;
}

export interface MetricsPoint {
  /** ms since the start of the soak. */
  t: number;
  pollingRequests: number;
  polling400: number;
  connectionsPolling: number;
  connectionsWebsocket: number;
  connects: number;
  reconnects: number;
  upstreamCalls: number;
  sessionsLost: number;
  workerRestarts: number;
  sessionUnknownErrors: number;
  /** transit_session_unknown_total by cause (all transports); null while the service does not export it. */
  sessionUnknownByCause: { misrouted: number; ended: number; unknown: number } | null;
}

export const SESSION_UNKNOWN_METRIC = 'transit_session_unknown_total';

export function pointFrom(samples: PromSample[], t: number): MetricsPoint {
  return {
    t,
    pollingRequests: sumOf(samples, 'transit_polling_requests_total'),
    polling400: sumOf(samples, 'transit_polling_requests_total', { status: '400' }),
    connectionsPolling: sumOf(samples, 'transit_socket_connections', { transport: 'polling' }),
    connectionsWebsocket: sumOf(samples, 'transit_socket_connections', { transport: 'websocket' }),
    connects: sumOf(samples, 'transit_socket_connects_total'),
    reconnects: sumOf(samples, 'transit_socket_reconnects_total'),
    upstreamCalls: sumOf(samples, 'transit_upstream_requests_total'),
    sessionsLost: sumOf(samples, 'transit_sessions_lost_total'),
    workerRestarts: sumOf(samples, 'transit_worker_restarts_total'),
    sessionUnknownErrors: sumOf(samples, 'transit_engine_connection_errors_total', { code: '1' }),
    sessionUnknownByCause: samples.some((s) => s.name === SESSION_UNKNOWN_METRIC)
      ? {
          misrouted: sumOf(samples, SESSION_UNKNOWN_METRIC, { cause: 'misrouted' }),
          ended: sumOf(samples, SESSION_UNKNOWN_METRIC, { cause: 'ended' }),
          unknown: sumOf(samples, SESSION_UNKNOWN_METRIC, { cause: 'unknown' }),
        }
      : null,
  };
}

export interface Scraper {
  points: MetricsPoint[];
  failures: () => number;
  last: () => PromSample[];
  /** One more scrape now (e.g. at the end), then stop. */
  stop: () => Promise<void>;
}

export function startScraper(url: string, t0: number, intervalMs: number): Scraper {
  const points: MetricsPoint[] = [];
  let failures = 0;
  let last: PromSample[] = [];
  let inFlight: Promise<void> = Promise.resolve();
  const scrape = async () => {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(Math.max(2_000, intervalMs * 2)) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      last = parsePromText(await res.text());
      points.push(pointFrom(last, Date.now() - t0));
    } catch {
      failures += 1;
    }
  };
  inFlight = scrape();
  const timer = setInterval(() => {
    inFlight = inFlight.then(scrape);
  }, intervalMs);
  return {
    points,
    failures: () => failures,
    last: () => last,
    stop: async () => {
      clearInterval(timer);
      await inFlight;
      await scrape();
    },
  };
}

import { afterEach, describe, expect, it } from 'vitest';
import { allQueries, buildDashboards, ruleQueries, type SourcedQuery } from '../../dashboards/generate.js';
import { interpolate } from '../../dashboards/src/variables.js';
import { defined, sleep, waitFor, waitUntil } from '../support/wait.js';
import { recordFigure } from '../support/figures.js';
import { startFleet, type Fleet } from '../support/fleet-run.js';
import { startTopology, type Topology } from '../support/topology.js';
import { recordConnectPackets, type ConnectLedger } from './connect-ledger.js';
import { importDashboard, interpolatedQueries, resolvedDatasources, resolveVariables, type Choice } from './grafana-import.js';
import { parseMetricsText, scrape, sumOf, type TextSample } from './metrics-text.js';
import { samples, startPrometheus, type PrometheusServer, type QueryAnswer } from './prometheus-server.js';
import { AGENCY_POLLED, AGENCY_VIEWERS } from '../../src/metrics/metric-names.js';

/** Frequent data and heartbeats, so a short run fills every panel. */
const LIVE = { POLL_INTERVAL_MS: '500', PING_INTERVAL_MS: '1000', PING_TIMEOUT_MS: '5000' };

let app: Topology | undefined;
let fleet: Fleet | undefined;
let prom: PrometheusServer | undefined;
let ledger: ConnectLedger | undefined;

afterEach(async () => {
  ledger?.restore();
  ledger = undefined;
  await fleet?.close();
  await prom?.stop();
  await app?.stop();
  fleet = undefined;
  prom = undefined;
  app = undefined;
});

/** `probe` until it returns a value, tried every `everyMs` (each try is a Prometheus query or a scrape). */
const eventually = <T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string, everyMs = 500): Promise<T> =>
  waitUntil(probe, defined, timeoutMs, what, everyMs);

/** A panel target of a dashboard, by panel title and refId, every variable at All; fails loudly when it was renamed. */
function panelQuery(title: string, refId = 'A'): SourcedQuery {
  const q = allQueries().find((x) => x.source.includes(`"${title}" ${refId}`));
  if (!q) throw new Error(`no dashboard panel "${title}" with target ${refId}: ${allQueries().map((x) => x.source).join('; ')}`);
  return { ...q, expr: interpolate(q.expr, { app: 'all', instance: 'all', worker: 'all' }) };
}

/** The uid of the datasource the dashboards are imported against: not the provisioned one. */
const IMPORTED_DS_UID = 'someone-elses-prometheus';
/** The `app` label Prometheus adds to the scraped series, as Fly's Prometheus does. */
const APP = 'transit-live';

const values = (a: QueryAnswer): number[] => samples(a).map((s) => Number(s.value[1]));

describe('Prometheus live: every dashboard query and rule against a real scrape', () => {
  it('with 20 polling clients, all queries and rules succeed and the headline panels have data', async () => {
    app = await startTopology({ ...LIVE, WEB_CONCURRENCY: '2' }, 90_000);
    // Scraped twice a second: the 10 scrapes below take 5 s to gather, not 10.
    prom = await startPrometheus({ target: `127.0.0.1:${app.metricsPort}`, labels: { app: APP }, scrapeInterval: '500ms' });
    fleet = await startFleet(app, 20);
    const startedAt = Date.now();

    // The target is scraped, and there are enough samples for rate() over every window: the
    // run lasts until Prometheus holds 10 scrapes, not a fixed time.
    const target = await eventually(
      async () => (await prom!.targets()).find((t) => t.health === 'up'),
      30_000,
      `the topology's metrics port is scraped (up): ${prom.output()}`,
    );
    const scrapes = await eventually(
      async () => {
        const n = Math.max(...values(await prom!.query('count_over_time(up[5m])')));
        return n >= 10 ? n : undefined;
      },
      30_000,
      'at least 10 scrapes in Prometheus',
    );

    const headline = {
      connectionsByTransport: panelQuery('Connections by transport'),
      pollingRate: panelQuery('Polling responses by status'),
      misroutedOrUnknownRatio: panelQuery('Polling 400 share: misrouted + unknown'),
      sessionUnknownByCause: panelQuery('Session ID unknown by cause'),
      upstreamCallsPerDay: panelQuery('Upstream calls per day vs always-on baseline and budget', 'A'),
      pollerActive: panelQuery('Poller active vs viewers', 'B'),
      demandViewers: panelQuery('Poller active vs viewers', 'A'),
      snapshotAge: panelQuery('Snapshot age', 'A'),
    };
    const headlineAnswers = await eventually(
      async () => {
        const out: Record<string, QueryAnswer> = {};
        for (const [k, q] of Object.entries(headline)) {
          out[k] = await prom!.query(q.expr);
          if (samples(out[k]).length === 0) return undefined;
        }
        return out;
      },
      30_000,
      'every headline panel returns data',
    );

    // Rules: loaded from prometheus/rules.yml, each evaluated at least once, all healthy.
    const groups = await eventually(
      async () => {
        const g = await prom!.rules();
        const all = g.flatMap((x) => x.rules);
        return all.length === ruleQueries().length && all.every((r) => r.health !== 'unknown') ? g : undefined;
      },
      30_000,
      'every rule of rules.yml evaluated',
    );
    const rules = groups.flatMap((g) => g.rules);
    expect(groups.every((g) => g.file.endsWith('prometheus/rules.yml'))).toBe(true);
    expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`)).toEqual([]);
    expect(rules.map((r) => r.name).sort()).toEqual(
      ruleQueries()
        .map((q) => /(?:record|alert) (\S+)$/.exec(q.source)![1]!)
        .sort(),
    );

    // Every dashboard as someone else's Grafana imports it (a Prometheus datasource of another
    // uid), its variables resolved against this Prometheus at All and at one value each, and
    // every panel evaluated as Grafana asks: range queries (and the stat panels' instant ones).
    // Per-agency series exist only with FEED=511 and several agencies (this service runs the
    // simulator: one implicit agency); test/five11.e2e.spec.ts checks them on a two-agency feed.
    const ONLY_WITH_AGENCIES = new RegExp(`\\b(${AGENCY_VIEWERS}|${AGENCY_POLLED})\\b`);
    const failures: string[] = [];
    const empty: string[] = [];
    const variableOptions: Record<string, Record<string, string[]>> = {};
    let evaluated = 0;
    for (const uid of Object.keys(buildDashboards())) {
      const imported = importDashboard(uid, IMPORTED_DS_UID);
      for (const choice of ['all', 'first'] as Choice[]) {
        const { values, options } = await resolveVariables(imported, prom, choice);
        variableOptions[uid] = options;
        expect(new Set(resolvedDatasources(imported, values)), `${uid}: every datasource resolves to the imported one`).toEqual(new Set([IMPORTED_DS_UID]));
        for (const q of interpolatedQueries(uid, imported, values)) {
          expect(q.expr, q.source).not.toMatch(/\$/);
          for (const a of [await prom.queryRange(q.expr, 60, 5), await prom.query(q.expr)]) {
            evaluated += 1;
            if (a.status !== 'success') failures.push(`${q.source} (${choice}): ${a.errorType}: ${a.error}`);
            else if (samples(a).length === 0 && !ONLY_WITH_AGENCIES.test(q.expr)) empty.push(`${q.source} (${choice})`);
          }
        }
      }
    }
    for (const q of ruleQueries()) {
      const a = await prom.query(q.expr);
      if (a.status !== 'success') failures.push(`${q.source}: ${a.errorType}: ${a.error}`);
      else if (samples(a).length === 0) empty.push(q.source);
    }
    expect(failures).toEqual([]);
    // Every panel of a healthy, busy service shows something, at All and for one app, instance
    // and worker. Only annotations and alert expressions may be empty: they return series only
    // while something is wrong.
    expect(empty.filter((source) => !/ annotation "| alert \w+$/.test(source))).toEqual([]);
    // The variables found this service's labels: the app label of the scrape (Fly's `app`), the
    // target, and every process.
    const instance = `127.0.0.1:${app.metricsPort}`;
    expect(variableOptions['transit-overview']).toEqual({ app: [APP], instance: [instance] });
    expect(variableOptions['transit-workers']).toEqual({ app: [APP], instance: [instance], worker: ['1', '2', 'primary'] });

    const h = Object.fromEntries(Object.entries(headlineAnswers).map(([k, a]) => [k, values(a)]));
    const byTransport = Object.fromEntries(samples(headlineAnswers.connectionsByTransport!).map((s) => [s.metric.transport, Number(s.value[1])]));
    expect(Object.keys(byTransport).sort()).toEqual(['polling', 'websocket']);
    expect(byTransport.polling).toBe(20);
    expect(h.pollingRate!.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(h.misroutedOrUnknownRatio).toEqual([0]); // sticky: none, and a number (0 / rate), not NaN
    // Every cause × transport is pre-initialised, so the by-cause panel has its series from the start.
    const causes = samples(headlineAnswers.sessionUnknownByCause!).map((s) => `${s.metric.cause} ${s.metric.transport}`).sort();
    expect(causes).toEqual(['ended polling', 'ended websocket', 'misrouted polling', 'misrouted websocket', 'unknown polling', 'unknown websocket']);
    expect(values(await prom.query('sum(transit_session_unknown_total{cause="misrouted"})'))).toEqual([0]);
    expect(h.upstreamCallsPerDay![0]).toBeGreaterThan(0);
    expect(h.pollerActive).toEqual([1]);
    expect(h.demandViewers![0]).toBe(20);
    expect(Number.isFinite(h.snapshotAge![0])).toBe(true);
    expect(h.snapshotAge![0]).toBeGreaterThanOrEqual(0);
    // The recording rules are written back into the TSDB.
    expect(values(await prom.query('transit:polling_misrouted_or_unknown_ratio:rate5m'))).toEqual([0]);
    expect(values(await prom.query('transit:upstream_calls_per_day'))[0]).toBeGreaterThan(0);

    recordFigure('prometheus live: 2 workers, 20 polling clients', {
      runSeconds: Math.round((Date.now() - startedAt) / 1000),
      scrapesInWindow: scrapes,
      targetLastError: target.lastError,
      queries: allQueries().length,
      panelEvaluations: evaluated,
      importedDatasourceUid: IMPORTED_DS_UID,
      rules: ruleQueries().length,
      emptyResults: empty,
      headline: h,
    });
  }, 240_000);
});

describe('double entry: what the clients count equals what the service counts', () => {
  it('STICKY=false, 2 workers: 400s seen by the proxies = transit_polling_requests_total{status="400"}; reconnects = transit_socket_reconnects_total', async () => {
    // Its clients reconnect in a loop from one address by design: no per-address handshake limit.
    app = await startTopology({ ...LIVE, WEB_CONCURRENCY: '2', STICKY: 'false', ALLOW_UNSAFE_TOPOLOGY: 'true', HANDSHAKES_PER_MINUTE_PER_IP: '0' }, 90_000);
    ledger = recordConnectPackets();
    // Health checks on fresh connections (as a load balancer sends them) interleave with the
    // clients' first connections: the primary's round-robin no longer splits each client's
    // POST and GET the same way, so some per-request clients complete a connect now and then,
    // lose it to a 400, and loop on reconnects the service accepts but they never complete.
    let healthChecks = true;
    const checker = (async () => {
      while (healthChecks) {
        await fetch(`${app!.base}/healthz`, { headers: { connection: 'close' } }).catch(() => undefined);
        await sleep(Math.random() * 5);
      }
    })();
    fleet = await startFleet(app, 20, { settle: false });
    await sleep(1500);
    healthChecks = false;
    await checker;
    // Two transport blips: every connected client's Engine.IO session is closed, so it
    // reconnects (those whose requests all reach one worker complete it; the others loop).
    // 2 s after each is four times the clients' first reconnection delay (500 ms ± 50 %).
    for (let blip = 0; blip < 2; blip++) {
      await sleep(blip === 0 ? 500 : 2000);
      for (const c of fleet.clients) if (c.socket.connected) c.socket.io.engine.close();
    }
    await sleep(2000);

    // Stop the clients but keep the proxies: every request already in flight is still
    // answered and counted on both sides. Then wait until nothing moves any more.
    for (const c of fleet.clients) c.close();
    let metrics: TextSample[] = [];
    let stableSince = Date.now();
    let last = '';
    await eventually(
      async () => {
        metrics = await scrape(app!.metricsPort);
        const now = JSON.stringify([
          fleet!.polls(),
          fleet!.all400s(),
          ledger!.posts,
          ledger!.delivered,
          sumOf(metrics, 'transit_polling_requests_total'),
          sumOf(metrics, 'transit_socket_connects_total'),
          sumOf(metrics, 'transit_socket_connections'),
        ]);
        if (now !== last) {
          last = now;
          stableSince = Date.now();
        }
        // Nothing counted for 3 s (3 ping intervals) and no socket left (ping timeout passed).
        return Date.now() - stableSince >= 3000 && sumOf(metrics, 'transit_socket_connections') === 0 ? true : undefined;
      },
      60_000,
      'counts settle after the clients stopped',
      250,
    );

    // Every 400 the proxies relayed: the service's counter has no cause label, so it also counts
    // the protocol's answer to a poll that reaches a session's owner after the session closed
    // there (a ping timeout, the client's close), which the proxies' defect count leaves out.
    const proxy400 = fleet.all400s();
    const proxyEnded400 = fleet.ended();
    const metric400 = sumOf(metrics, 'transit_polling_requests_total', { status: '400' });
    const proxyPolls = fleet.polls();
    const metricPolls = sumOf(metrics, 'transit_polling_requests_total');
    const clientReconnects = fleet.clients.reduce((n, c) => n + Math.max(0, c.connects - 1), 0);
    const clientConnects = fleet.clients.reduce((n, c) => n + c.connects, 0);
    const metricReconnects = sumOf(metrics, 'transit_socket_reconnects_total');
    const metricConnects = sumOf(metrics, 'transit_socket_connects_total');
    const figure = {
      proxy400,
      proxyEnded400,
      metric400,
      proxyPolls,
      metricPolls,
      clientReconnectsCompleted: clientReconnects,
      clientReconnectsDelivered: ledger.deliveredReconnects,
      clientReconnectsSent: ledger.sentReconnects,
      metricReconnects,
      clientConnectsCompleted: clientConnects,
      clientConnectsDelivered: ledger.delivered,
      clientConnectsSent: ledger.sent,
      metricConnects,
      pooledByStatus: fleet.pooled.counts.byStatus,
      proxyRetries: fleet.pooled.retries() + fleet.fresh.retries(),
      proxyLost: [...fleet.pooled.counts.lost, ...fleet.fresh.counts.lost].map((l) => `${l.kind} ${l.what} ${l.detail}`),
      freshByStatus: fleet.fresh.counts.byStatus,
      metricByStatus: Object.fromEntries(
        metrics.filter((s) => s.name === 'transit_polling_requests_total').map((s) => [`${s.labels.method} ${s.labels.status}`, s.value]),
      ),
    };
    recordFigure('double entry: STICKY=false, 2 workers, 20 polling clients', figure);
    // 400s and polls: counted by the proxies from the answers they relayed, and by the edge
    // worker on 'finish' — the same events, so the same numbers.
    expect(fleet.bad()).toBeGreaterThan(0); // the unsafe topology does produce defective 400s
    // On a mismatch the message carries the whole ledger (CI keeps only the output's tail).
    expect(metric400, JSON.stringify(figure)).toBe(proxy400);
    expect(metricPolls, JSON.stringify(figure)).toBe(proxyPolls);
    // Reconnects: the service counts every reconnect a worker accepted, which is exactly the
    // reconnect CONNECT packets the clients got delivered (POST answered 200); the clients'
    // Σ(connects − 1) counts only those whose answer also reached them (see connect-ledger.ts).
    expect(ledger.posts).toBeGreaterThan(0);
    expect(clientReconnects).toBeGreaterThan(0);
    expect(metricReconnects).toBe(ledger.deliveredReconnects);
    expect(metricConnects).toBe(ledger.delivered);
    expect(clientReconnects).toBeLessThanOrEqual(metricReconnects);
    expect(metricReconnects).toBeLessThanOrEqual(ledger.sentReconnects);
  }, 240_000);
});

describe('/metrics with 8 workers', () => {
  it('every scrape succeeds and carries each worker’s default metrics (timings recorded as figures)', async () => {
    app = await startTopology({ ...LIVE, WEB_CONCURRENCY: '8' }, 150_000);
    await waitFor(() => app!.readyWorkers().length >= 8, 120_000, 'all 8 workers ready');
    const want = ['1', '2', '3', '4', '5', '6', '7', '8'];
    const workersIn = (m: TextSample[]) =>
      [...new Set(m.filter((s) => s.name === 'process_cpu_user_seconds_total').map((s) => s.labels.worker!))].filter((w) => w !== 'primary').sort();
    // Warm-up: the first scrape after startup may still miss a worker that just became ready.
    await eventually(async () => (JSON.stringify(workersIn(await scrape(app!.metricsPort))) === JSON.stringify(want) ? true : undefined), 30_000, 'all 8 workers in /metrics');

    const durations: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      const r = await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`, { signal: AbortSignal.timeout(15_000) });
      const text = await r.text();
      durations.push(performance.now() - t0);
      expect(r.status).toBe(200);
      const m = parseMetricsText(text);
      expect(workersIn(m)).toEqual(want);
      expect(m.some((s) => s.name === 'process_cpu_user_seconds_total' && s.labels.worker === 'primary')).toBe(true);
      // One start time per process ("Uptime by worker"); prom-client's `omit` aggregator dropped it.
      expect(m.filter((s) => s.name === 'process_start_time_seconds').map((s) => s.labels.worker).sort()).toEqual([...want, 'primary']);
      bytes = text.length;
    }
    const sorted = [...durations].sort((a, b) => a - b);
    const ms = (x: number) => Math.round(x * 10) / 10;
    recordFigure('/metrics scrape time, 8 workers (20 scrapes)', {
      medianMs: ms((sorted[9]! + sorted[10]!) / 2),
      p95Ms: ms(sorted[Math.ceil(0.95 * sorted.length) - 1]!),
      maxMs: ms(sorted.at(-1)!),
      minMs: ms(sorted[0]!),
      bytes,
    });
  }, 300_000);
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Vehicle } from '../src/domain/vehicle.js';
import { connectClient, type TrackedClient } from './support/clients.js';
import { startFakeGtfsUpstream, type FakeGtfsUpstream } from './support/fake-gtfs-upstream.js';
import { recordFigure } from './support/figures.js';
import { runExpectingExit, startTopology, type Topology } from './support/topology.js';
import { sleep, waitFor, waitUntil } from './support/wait.js';

const INTERVAL = 400;
const GRACE = 800;
const FALLBACK_INTERVAL = 500; // fallback demand window = 2 × 500 ms

/** Vehicles on three routes whose positions change with `tick`. */
function fleet(tick: number): Vehicle[] {
  const routes = ['N', '38', '14'];
  return Array.from({ length: 30 }, (_, i) => ({
    id: `bus-${i}`,
    routeId: routes[i % 3]!,
    lat: 37.75 + i * 0.001 + tick * 0.0001,
    lon: -122.45 + i * 0.001,
    bearing: (i * 12) % 360,
    updatedAt: 1_700_000_000_000 + tick * 1000,
  }));
}

/** Viewers holding demand now, over all workers (Socket.IO and the fallback window), from /metrics. */
async function demandViewers(app: Topology): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`)).text();
  return Number(/^transit_demand_viewers (\S+)$/m.exec(text)?.[1] ?? NaN);
}

describe('core: demand-gated gateway against a fake GTFS-RT upstream', () => {
  let upstream: FakeGtfsUpstream;
  let app: Topology;
  let tick = 0;
  /** While false the upstream serves the same vehicles, so polls change nothing and the version holds. */
  let moving = true;
  let mover: NodeJS.Timeout;
  const clients: TrackedClient[] = [];

  // One topology for the file. Each test starts from the same state (no client of an earlier
  // test, upstream healthy and moving); those that measure the poller from rest first wait
  // for it to be at rest, so any test can run alone or in any order.
  beforeAll(async () => {
    upstream = await startFakeGtfsUpstream({ vehicles: fleet(0) });
    // Every upstream request sees newer positions than the last, so every poll is a change.
    mover = setInterval(() => moving && upstream.setVehicles(fleet(++tick)), 50);
    app = await startTopology({
      FEED: 'gtfs-rt',
      FEED_URL: upstream.url,
      POLL_INTERVAL_MS: String(INTERVAL),
      DEMAND_GRACE_MS: String(GRACE),
      FALLBACK_INTERVAL_MS: String(FALLBACK_INTERVAL),
      WEB_CONCURRENCY: '2',
    });
  });

  beforeEach(() => {
    moving = true;
    upstream.setMode('ok');
    for (const c of clients.splice(0)) c.close();
  });

  /**
   * Demand gone (Socket.IO viewers and the fallback window) and the poller off: no call for
   * two intervals, which a running poller never leaves. (transit_poller_active would say it
   * directly, but it stays 1 after demand ends on a single-agency feed: reported, src/poller.)
   */
  const atRest = () =>
    waitUntil(
      async () => ({ viewers: await demandViewers(app), quietMs: Date.now() - (upstream.callTimes().at(-1) ?? 0) }),
      (s) => s.viewers === 0 && s.quietMs > 2 * INTERVAL,
      10_000,
      'no viewer and no upstream call for 2 intervals',
    );

  afterAll(async () => {
    clearInterval(mover);
    for (const c of clients) c.close();
    await app?.stop();
    await upstream?.close();
  });

  /** GET /api/vehicles (a fallback viewer's request, so demand): its status. */
  const vehiclesStatus = async () => {
    const res = await fetch(`${app.base}/api/vehicles`);
    await res.arrayBuffer();
    return res.status;
  };

  const client = (routes?: string[]) => {
    const c = connectClient(app.base);
    clients.push(c);
    if (routes) c.socket.on('connect', () => c.socket.emit('subscribe', { routes }));
    return c;
  };

  it('makes zero upstream calls while nobody is connected', async () => {
    await atRest();
    const calls = upstream.calls();
    await sleep(3 * INTERVAL);
    expect(upstream.calls()).toBe(calls);
  });

  it('polls at once for the first viewer, then once per interval; snapshot then deltas reach the client', async () => {
    await atRest();
    const from = upstream.calls();
    const c = client();
    await waitFor(() => c.snapshots >= 1, 5000, 'first snapshot');
    // The cadence from the upstream's own clock: 10 gaps between the calls this viewer caused.
    await waitFor(() => upstream.calls() >= from + 11, 30 * INTERVAL, '11 upstream calls for one viewer');
    const during = upstream.callTimes().slice(from, from + 11);
    const gaps = during.slice(1).map((t, i) => t - during[i]!);
    const sorted = [...gaps].sort((a, b) => a - b);
    const medianGap = sorted[Math.floor(gaps.length / 2)]!;
    recordFigure('core: cadence with one viewer', { calls: during.length, gapsMs: gaps, medianGapMs: medianGap });
    // One poll per interval: a wrong interval moves the median; a second poller (or a poll per
    // worker) leaves gaps of half an interval or less; a poller that stops and restarts while
    // the viewer watches leaves one of 3 intervals. A loaded machine only delays single polls.
    expect(medianGap).toBeGreaterThanOrEqual(INTERVAL - 50);
    expect(medianGap).toBeLessThanOrEqual(INTERVAL + 100);
    expect(sorted[0]!, `gaps ${gaps.join(' ')}`).toBeGreaterThan(INTERVAL / 2);
    expect(sorted.at(-1)!, `gaps ${gaps.join(' ')}`).toBeLessThan(3 * INTERVAL);
    await waitFor(() => c.deltas >= 8, 4 * INTERVAL, '8 deltas');
    expect(c.errors).toEqual([]);
    // At the version the service serves, the client's map (snapshot + deltas) is the served one.
    // Its map at every version from here on is kept, so the comparison holds whatever polls land meanwhile.
    const byId = (vs: Iterable<Vehicle>) => [...vs].sort((a, b) => a.id.localeCompare(b.id));
    const maps = new Map([[c.version, byId(c.vehicles.values())]]);
    c.socket.on('vehicles:delta', () => maps.set(c.version, byId(c.vehicles.values())));
    const served = (await (await fetch(`${app.base}/api/vehicles`)).json()) as { version: number; vehicles: Vehicle[] };
    await waitFor(() => c.version >= served.version, 2000, 'client catches up');
    expect(maps.get(served.version)).toEqual(byId(served.vehicles));
  });

  it('stops polling within grace + 1 interval after the last client leaves', async () => {
    await atRest();
    const c = client();
    await waitFor(() => c.snapshots >= 1 && c.deltas >= 1, 5000, 'live client');
    const leftAt = Date.now();
    c.close();
    await sleep(GRACE + 3 * INTERVAL);
    const last = upstream.callTimes().at(-1)!;
    const calls = upstream.calls();
    recordFigure('core: stop after last viewer', { lastCallAfterLeaveMs: last - leftAt, budgetMs: GRACE + INTERVAL });
    expect(last - leftAt).toBeLessThanOrEqual(GRACE + INTERVAL + 100);
    await sleep(4 * INTERVAL);
    expect(upstream.calls()).toBe(calls);
  });

  it('a fallback-only viewer (HTTP, no socket) keeps the data fresh', async () => {
    await atRest();
    // Its first request is demand; the service answers 503 until the first poll is in.
    await waitUntil(vehiclesStatus, (s) => s === 200, 5000, 'a first snapshot');
    const before = upstream.calls();
    const versions: number[] = [];
    const statuses: number[] = [];
    let etag: string | undefined;
    for (let i = 0; i < 8; i++) {
      const res = await fetch(`${app.base}/api/vehicles`, { headers: etag ? { 'if-none-match': etag } : {} });
      statuses.push(res.status);
      if (res.status === 200) {
        versions.push(((await res.json()) as { version: number }).version);
        etag = res.headers.get('etag') ?? undefined;
      }
      if (i < 7) await sleep(FALLBACK_INTERVAL);
    }
    const calls = upstream.calls() - before;
    const notModified = statuses.filter((s) => s === 304).length;
    recordFigure('core: fallback-only viewer', { calls, versions: versions.length, notModified });
    // Its requests alone keep the poller running (one call per interval) ...
    expect(calls).toBeGreaterThanOrEqual(7);
    // ... so its revalidations find newer data: every answer a 200 or a 304, at most 2 of the 7
    // revalidations a 304 (nothing new within 500 ms), and each 200 newer than the one before.
    expect(statuses.filter((s) => s !== 200 && s !== 304)).toEqual([]);
    expect(notModified).toBeLessThanOrEqual(2);
    expect(versions.every((v, i) => i === 0 || v > versions[i - 1]!), `versions ${versions.join(' ')}`).toBe(true);
  });

  it('answers a matching If-None-Match with 304 and a stale one with 200', async () => {
    // Hold the data still: this request is demand, and once two polls have read the unchanging
    // feed (the first may still carry a change), every worker serves one version.
    moving = false;
    const calls = upstream.calls();
    await vehiclesStatus();
    await waitFor(() => upstream.calls() >= calls + 2, 10 * INTERVAL, 'two polls of the unchanging feed');
    const first = await fetch(`${app.base}/api/vehicles?routes=N`);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"v\d+-/);
    const again = await fetch(`${app.base}/api/vehicles?routes=N`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect(await again.text()).toBe('');
    const stale = await fetch(`${app.base}/api/vehicles?routes=N`, { headers: { 'if-none-match': '"v0-x"' } });
    expect(stale.status).toBe(200);
    const bad = await fetch(`${app.base}/api/vehicles?routes=N,<script>`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/route id/);
  });

  it('a subscribed client receives only its routes', async () => {
    const c = client(['N', '14']);
    await waitFor(() => c.snapshots >= 2 && c.deltas >= 3, 6000, 'subscribed snapshot and deltas');
    c.routesSeen.clear();
    await waitFor(() => c.deltas >= 6, 6000, 'more deltas');
    expect([...c.routesSeen].sort()).toEqual(['14', 'N']);
    expect([...c.vehicles.values()].every((v) => v.routeId === 'N' || v.routeId === '14')).toBe(true);
    expect(c.vehicles.size).toBe(20);
    c.close();
  });

  it('answers bad subscribe payloads with an error ack and keeps the connection', async () => {
    const c = client();
    await waitFor(() => c.socket.connected, 5000, 'connect');
    const ack = (payload: unknown) =>
      c.socket.timeout(3000).emitWithAck('subscribe', payload) as Promise<{ status: string; message?: string; routes?: string[] }>;
    const cases: [unknown, RegExp][] = [
      [null, /payload must be an object/],
      ['N', /payload must be an object/],
      [{ routes: 'N' }, /routes must be an array/],
      [{ routes: [1, 2] }, /route id must be a string/],
      [{ routes: ['ok', 'x'.repeat(40)] }, /1–32 characters/],
      [{ routes: Array.from({ length: 101 }, (_, i) => `r${i}`) }, /at most 100 routes/],
    ];
    for (const [payload, message] of cases) {
      const a = await ack(payload);
      expect(a.status).toBe('error');
      expect(a.message).toMatch(message);
    }
    expect(await ack({ routes: ['38'] })).toEqual({ status: 'ok', routes: ['38'] });
    expect(c.socket.connected).toBe(true);
    c.close();
  });

  it('keeps serving the last good snapshot when upstream breaks, and says so in /readyz', async () => {
    const c = client();
    await waitFor(() => c.deltas >= 1, 5000, 'live');
    upstream.setMode('garbage');
    await sleep(3 * INTERVAL);
    const ready = (await (await fetch(`${app.base}/readyz`)).json()) as { status: string; details: { feed: { state: string; lastError: { failure: string } } } };
    expect(ready.details.feed.state).toBe('failing');
    expect(ready.details.feed.lastError.failure).toBe('malformed');
    const res = await fetch(`${app.base}/api/vehicles`);
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('x-data-age-seconds'))).toBeGreaterThan(0);
    const metrics = await (await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/transit_upstream_requests_total\{feed="gtfs-rt",outcome="malformed"\} [1-9]/);
    upstream.setMode('ok');
    const version = c.version;
    await waitFor(() => c.version > version, 8 * INTERVAL * 2, 'recovery after upstream returns');
    expect(c.socket.connected).toBe(true);
    c.close();
  });
});

describe('core: configuration', () => {
  it('refuses to start on bad values and names every bad variable', async () => {
    const { code, stderr } = await runExpectingExit({ PORT: 'eighty', FEED: 'soap', POLL_INTERVAL_MS: '-5', STICKY: 'maybe' });
    expect(code).toBe(78);
    for (const name of ['PORT', 'FEED', 'POLL_INTERVAL_MS', 'STICKY']) expect(stderr).toContain(`${name}=`);
    expect(stderr).toMatch(/FEED="soap": must be simulator, gtfs-rt or 511/);
  });

  it('requires FEED_URL for the GTFS-RT feed', async () => {
    const { code, stderr } = await runExpectingExit({ FEED: 'gtfs-rt' });
    expect(code).toBe(78);
    expect(stderr).toMatch(/FEED_URL=\(unset\): is required when FEED=gtfs-rt/);
  });
});

describe('core: a scripted session (idle 5 intervals, one viewer 20 intervals, idle 10 intervals)', () => {
  it('calls upstream only while the viewer watches (plus grace), far below always-on', async () => {
    // A session of 400-ms polls: 5 intervals with nobody there (zero calls before anyone
    // comes is also its own test above), 20 watched, then 10 after the viewer left (5 × the
    // grace of 2), so every call after the grace would show.
    const INTERVAL_MS = 400;
    const GRACE_MS = 2 * INTERVAL_MS;
    const IDLE_MS = 5 * INTERVAL_MS;
    const WATCH_MS = 20 * INTERVAL_MS;
    const AFTER_MS = 10 * INTERVAL_MS;
    const upstream = await startFakeGtfsUpstream({ vehicles: fleet(0) });
    let t = 0;
    const mover = setInterval(() => upstream.setVehicles(fleet(++t)), 50);
    const app = await startTopology({ FEED: 'gtfs-rt', FEED_URL: upstream.url, POLL_INTERVAL_MS: String(INTERVAL_MS), DEMAND_GRACE_MS: String(GRACE_MS) });
    try {
      await sleep(IDLE_MS);
      const idleBefore = upstream.calls();
      const viewer = connectClient(app.base);
      await sleep(WATCH_MS);
      viewer.close();
      const watched = upstream.calls() - idleBefore;
      await sleep(AFTER_MS);
      const total = upstream.calls();
      // Ideal: one call when the viewer arrives, one per interval while watching, and the
      // polls that fall inside the grace period after it leaves.
      const ideal = 1 + WATCH_MS / INTERVAL_MS + GRACE_MS / INTERVAL_MS;
      const alwaysOn = (IDLE_MS + WATCH_MS + AFTER_MS) / INTERVAL_MS;
      recordFigure('core: scripted session (35 intervals)', { intervalMs: INTERVAL_MS, idleBefore, watched, total, ideal, alwaysOn, savedVsAlwaysOnPct: Math.round(100 * (1 - total / alwaysOn)) });
      expect(idleBefore).toBe(0);
      expect(total).toBeGreaterThanOrEqual(ideal - 2);
      expect(total).toBeLessThanOrEqual(ideal + 1);
      expect(viewer.deltas).toBeGreaterThanOrEqual(15);
    } finally {
      clearInterval(mover);
      await app.stop();
      await upstream.close();
    }
  }, 120_000);
});

/**
 * The map in a real browser (Debian chromium via playwright-core) against the production
 * command (`node dist/main.js`, primary + 2 workers) — issue "The map: live vehicles in the
 * browser, with an honest connection status".
 *
 * One topology serves the tests that do not break it; the SIGKILL test and the unsafe
 * (STICKY=false) reproduction start their own. Tiles come from a 127.0.0.1 server that
 * answers 404 (machines are offline), so the page must show its "tiles unavailable" note;
 * chromium resolves no host name but 127.0.0.1.
 */
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ownerOfSession } from '../../src/shared/session-id.js';
import { recordFigure } from '../support/figures.js';
import { startTopology, type Topology } from '../support/topology.js';
import {
  apiVehicles,
  hook,
  ioFrames,
  launchChromium,
  openWatchedPage,
  pageProblems,
  scrape,
  sleep,
  startNoTileServer,
  waitUntil,
  type StatusSample,
  type WatchedPage,
} from './support/browser.js';

const ARTIFACTS = path.resolve(import.meta.dirname, '../../artifacts');

/** Fast data and heartbeat; a short fallback interval so the HTTP fallback is seen working in seconds. */
const FAST = {
  POLL_INTERVAL_MS: '500',
  PING_INTERVAL_MS: '1000',
  PING_TIMEOUT_MS: '3000',
  FALLBACK_INTERVAL_MS: '1000',
  DEMAND_GRACE_MS: '2000',
  WEB_CONCURRENCY: '2',
};

let browser: Browser;
let tiles: Awaited<ReturnType<typeof startNoTileServer>>;
const pages: WatchedPage[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  tiles = await startNoTileServer();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await tiles?.close();
});

/** A fresh context + watched page, closed after the test; `beforeLoad` runs before navigation. */
async function open(opts: Parameters<typeof openWatchedPage>[1] = {}): Promise<WatchedPage> {
  const w = await openWatchedPage(browser, opts);
  pages.push(w);
  return w;
}

/** After every test: no CSP violation (console or event), no uncaught error, nothing but 127.0.0.1 requested. */
afterEach(async () => {
  const open = pages.splice(0);
  try {
    for (const w of open) {
      const problems = await pageProblems(w);
      expect(problems, 'CSP violations / page errors / off-machine requests').toEqual({ csp: [], pageErrors: [], foreign: [] });
    }
  } finally {
    for (const w of open) await w.close();
  }
});

/** Navigates and resolves with the ms from navigation start to the first "Live" status (recorded in the page). */
async function loadUntilLive(w: WatchedPage, base: string, timeoutMs = 15_000): Promise<{ timeToLiveMs: number; loadToLiveMs: number }> {
  await w.page.goto(base, { waitUntil: 'load' });
  await waitUntil(() => hook.status(w.page), (s) => s.startsWith('Live'), timeoutMs, 'status "Live…"');
  const samples = await w.statuses();
  const firstLive = samples.find((s) => s.kind === 'live')!;
  const nav = await w.page.evaluate(() => {
    const entry = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    return { origin: performance.timeOrigin, loadEventEnd: entry.loadEventEnd };
  });
  return { timeToLiveMs: Math.round(firstLive.t - nav.origin), loadToLiveMs: Math.round(firstLive.t - (nav.origin + nav.loadEventEnd)) };
}

/** Waits until the markers are exactly the vehicles `GET /api/vehicles[?routes=…]` lists (same ids, so same version's set). */
async function markersMatchApi(page: Page, base: string, routes?: string[], timeoutMs = 20_000) {
  return waitUntil(
    async () => {
      const api = await apiVehicles(base, routes);
      const markers = Object.keys(await hook.markerPositions(page)).sort();
      const count = await hook.markerCount(page);
      const apiIds = api.vehicles.map((v) => v.id).sort();
      return { version: api.version, api: apiIds.length, count, same: count === apiIds.length && markers.join() === apiIds.join() };
    },
    (r) => r.same && r.count > 0,
    timeoutMs,
    `markers equal to GET /api/vehicles${routes ? `?routes=${routes.join(',')}` : ''}`,
    50,
  );
}

/** Vehicles whose marker moved between two position reads. */
function moved(a: Record<string, [number, number]>, b: Record<string, [number, number]>): number {
  let n = 0;
  for (const [id, [lat, lon]] of Object.entries(b)) {
    const before = a[id];
    if (before && (before[0] !== lat || before[1] !== lon)) n++;
  }
  return n;
}

const nonLiveAfter = (samples: StatusSample[], t: number) => samples.filter((s) => s.t >= t && s.kind !== 'live');

describe('browser map on the default topology (sticky, 2 workers)', () => {
  let app: Topology;

  beforeAll(async () => {
    app = await startTopology({ ...FAST, TILE_URL: tiles.url });
    // The first upstream poll is under way at "listening"; the API answers 503 until it lands.
    await waitUntil(() => fetch(`${app.base}/api/vehicles`).then((r) => r.status), (s) => s === 200, 20_000, 'first snapshot');
  }, 90_000);

  afterAll(async () => {
    await app?.stop();
  });

  it('serves GET / with a CSP without unsafe-inline, no inline code, and hashed assets as immutable', async () => {
    const res = await fetch(`${app.base}/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).toMatch(/style-src 'self'/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const html = await res.text();
    expect(html, 'inline <script>').not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(html, 'inline style attribute / <style>').not.toMatch(/\sstyle=|<style/i);
    const referenced = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(referenced.length).toBeGreaterThanOrEqual(3); // JS, CSS, favicon
    const manifest = (await (await fetch(`${app.base}/manifest.json`)).json()) as { assets: string[] };
    const all = [...new Set([...referenced, ...manifest.assets.map((a) => `/${a}`)])];
    const headers: Record<string, string | null> = {};
    for (const asset of all) {
      const r = await fetch(`${app.base}${asset}`);
      expect(r.status, asset).toBe(200);
      headers[asset] = r.headers.get('cache-control');
      await r.arrayBuffer();
    }
    for (const asset of all) expect(headers[asset], asset).toBe('public, max-age=31536000, immutable');
    recordFigure('browser: static headers', { csp, hashedAssets: all.length });
  });

  it('shows "Live" within 3 s of load, and exactly the markers GET /api/vehicles lists', async () => {
    const w = await open();
    const { timeToLiveMs, loadToLiveMs } = await loadUntilLive(w, app.base);
    const status = await hook.status(w.page);
    expect(status).toMatch(/^Live \((websocket|polling)\)$/);
    const match = await markersMatchApi(w.page, app.base);
    const countText = await w.page.locator('#vehicle-count').textContent();
    recordFigure('browser: time to Live', { timeToLiveMs, loadToLiveMs, status, markers: match.count, apiVersion: match.version });
    expect(timeToLiveMs).toBeLessThanOrEqual(3000);
    expect(countText).toMatch(/^\d+ vehicles?$/);
    expect(w.all400s()).toBe(0);
  });

  it('moves markers when a delta arrives', async () => {
    const w = await open();
    await loadUntilLive(w, app.base);
    // Over WebSocket the frames are visible, so the test sees where movement comes from.
    await waitUntil(() => hook.status(w.page), (s) => s === 'Live (websocket)', 10_000, 'the page upgraded to websocket');
    await markersMatchApi(w.page, app.base);
    const first = await hook.markerPositions(w.page);
    const t0 = Date.now();
    const n = await waitUntil(async () => moved(first, await hook.markerPositions(w.page)), (m) => m > 0, 10_000, 'a marker to move');
    const status = await hook.status(w.page);
    const deltas = ioFrames(w.wsFrames).filter((f) => f.event === 'vehicles:delta').length;
    recordFigure('browser: markers move', { movedMarkers: n, of: Object.keys(first).length, afterMs: Date.now() - t0, status, deltaFramesSeen: deltas });
    expect(n).toBeGreaterThan(0);
    // Movement came from deltas, not from re-snapshots.
    expect(status).toBe('Live (websocket)');
    expect(deltas).toBeGreaterThan(0);
  });

  it('the route picker (keyboard) leaves only that route’s markers; demand follows the page and drops to 0 when it closes', async () => {
    const w = await open();
    await loadUntilLive(w, app.base);
    const all = await markersMatchApi(w.page, app.base);
    const routes = await waitUntil(() => hook.routes(w.page), (r) => r.length >= 3, 10_000, 'routes listed in the picker');
    const counts = new Map<string, number>();
    for (const v of (await apiVehicles(app.base)).vehicles) counts.set(v.routeId, (counts.get(v.routeId) ?? 0) + 1);
    // Not the first route, so the arrow keys have work to do.
    const index = routes.findIndex((r: string, i: number) => i >= 2 && (counts.get(r) ?? 0) > 0);
    expect(index).toBeGreaterThanOrEqual(2);
    const target = routes[index]!;

    // As a keyboard user: Tab until focus lands in the route list (roving tabindex: one stop), arrows, Space.
    let tabs = 0;
    for (;;) {
      await w.page.keyboard.press('Tab');
      tabs++;
      const inList = await w.page.evaluate(() => document.activeElement?.closest('#route-list') != null);
      if (inList) break;
      if (tabs > 40) throw new Error('Tab never reached the route list');
    }
    expect(await w.page.evaluate(() => (document.activeElement as HTMLInputElement).value)).toBe(routes[0]);
    for (let i = 0; i < index; i++) await w.page.keyboard.press('ArrowDown');
    expect(await w.page.evaluate(() => (document.activeElement as HTMLInputElement).value)).toBe(target);
    const chosenAt = Date.now();
    await w.page.keyboard.press('Space');
    expect(await hook.selectedRoutes(w.page)).toEqual([target]);
    await expect.poll(() => w.page.locator('#route-summary').textContent()).toBe(`Showing route ${target}`);

    const only = await markersMatchApi(w.page, app.base, [target]);
    const labels = await w.page.locator('.leaflet-marker-pane .vehicle-label').allTextContents();
    expect(labels.length).toBe(only.count);
    expect(new Set(labels)).toEqual(new Set([target]));
    expect(only.count).toBeLessThan(all.count);

    // The server side: the subscription was acknowledged, and what it sends since is that route only.
    const status = await hook.status(w.page);
    if (status === 'Live (websocket)') {
      await waitUntil(
        async () => ioFrames(w.wsFrames).filter((f) => f.t >= chosenAt && f.event === 'vehicles:delta').length,
        (n) => n >= 2,
        10_000,
        'deltas after the subscription',
      );
      const frames = ioFrames(w.wsFrames).filter((f) => f.t >= chosenAt);
      const ack = frames.find((f) => f.kind === 'ack' && JSON.stringify(f.args[0]) === JSON.stringify({ status: 'ok', routes: [target] }));
      expect(ack, 'subscribe ack for the route').toBeDefined();
      const after = frames.filter((f) => f.t > ack!.t && (f.event === 'vehicles:delta' || f.event === 'vehicles:snapshot'));
      const routeIds = new Set<string>();
      for (const f of after) {
        const body = f.args[0] as { upserts?: { routeId: string }[]; vehicles?: { routeId: string }[] };
        for (const v of [...(body.upserts ?? []), ...(body.vehicles ?? [])]) routeIds.add(v.routeId);
      }
      expect([...routeIds]).toEqual([target]);
    }

    // Demand: the page's one socket is counted while it watches a single route.
    const watching = await waitUntil(() => scrape(app.metricsPort), (m) => m.sockets === 1 && m.viewers >= 1, 10_000, 'the page counted as a viewer');

    // Back to all routes with a click on "All routes".
    await w.page.getByRole('button', { name: 'All routes' }).click();
    expect(await hook.selectedRoutes(w.page)).toEqual([]);
    const back = await markersMatchApi(w.page, app.base);

    // Close the page: its socket and the demand go to 0 (the test's own API calls count as fallback
    // demand for 2 × FALLBACK_INTERVAL_MS, so the wait covers that window too).
    expect((await pageProblems(w)).csp, 'CSP violations').toEqual([]);
    const lastApiCallAt = Date.now();
    await w.page.close();
    const closedAt = Date.now();
    await waitUntil(() => scrape(app.metricsPort), (m) => m.sockets === 0, 15_000, 'the page’s socket gone', 50);
    const socketGoneMs = Date.now() - closedAt;
    const gone = await waitUntil(() => scrape(app.metricsPort), (m) => m.sockets === 0 && m.viewers === 0, 20_000, 'demand back to 0', 50);
    recordFigure('browser: route picker and demand', {
      route: target,
      tabsToReachList: tabs,
      arrowPresses: index,
      markersAll: all.count,
      markersRoute: only.count,
      markersAfterAllRoutes: back.count,
      status,
      viewersWhileWatching: watching.viewers,
      socketsWhileWatching: watching.sockets,
      socketsZeroAfterCloseMs: socketGoneMs,
      demandZeroAfterCloseMs: Date.now() - closedAt,
      fallbackWindowMs: 2 * Number(FAST.FALLBACK_INTERVAL_MS),
      sinceLastApiCallMs: Date.now() - lastApiCallAt,
    });
    expect(gone).toMatchObject({ sockets: 0, viewers: 0 });
    expect(w.all400s()).toBe(0);
  });

  it('with /socket.io/ blocked, says "Offline — refreshing every 1 s…" and keeps the map fresh via If-None-Match polls', async () => {
    const w = await open({ beforeLoad: (page) => page.route('**/socket.io/**', (route) => route.abort()) });
    await w.page.goto(app.base, { waitUntil: 'load' });
    const offline = await waitUntil(
      () => hook.status(w.page),
      (s) => /^Offline — refreshing every 1 s, data \d+ s old$/.test(s),
      20_000,
      'the offline status with the data age',
    );
    const origin = await w.page.evaluate(() => performance.timeOrigin);
    const firstOffline = (await w.statuses()).find((s) => s.kind === 'offline')!;
    await waitUntil(async () => hook.markerCount(w.page), (n) => n > 0, 10_000, 'markers from the fallback');
    const first = await hook.markerPositions(w.page);
    const n = await waitUntil(async () => moved(first, await hook.markerPositions(w.page)), (m) => m > 0, 15_000, 'markers to move (fallback)');
    await waitUntil(async () => w.apiVehicles.filter((r) => r.status !== undefined).length, (k) => k >= 4, 20_000, '4 fallback polls');

    const polls = w.apiVehicles.filter((r) => r.status !== undefined);
    const statuses = polls.map((r) => r.status);
    const conditional = polls.slice(1).filter((r) => r.headers['if-none-match'] !== undefined).length;
    const gaps = polls.slice(1).map((r, i) => r.at - polls[i]!.at);
    const sorted = [...gaps].sort((a, b) => a - b);
    const status = await hook.status(w.page);
    const age = Number(/data (\d+) s old/.exec(status)?.[1] ?? NaN);
    const metrics = await scrape(app.metricsPort);
    recordFigure('browser: /socket.io/ blocked → HTTP fallback', {
      timeToOfflineMs: Math.round(firstOffline.t - origin),
      offlineText: offline,
      polls: polls.length,
      pollStatuses: statuses,
      withIfNoneMatch: conditional,
      medianGapMs: sorted[Math.floor(sorted.length / 2)],
      movedMarkers: n,
      markers: await hook.markerCount(w.page),
      socketIoAborted: w.socketFailures.length,
      viewersMetric: metrics.viewers,
      socketsMetric: metrics.sockets,
    });
    expect(polls[0]!.url).toBe(`${app.base}/api/vehicles`);
    expect(statuses.every((s) => s === 200 || s === 304)).toBe(true);
    expect(conditional).toBe(polls.length - 1); // every poll after the first revalidates
    // Every ~FALLBACK_INTERVAL_MS (at least three quarters of it), not a busy loop.
    expect(sorted[Math.floor(sorted.length / 2)]!).toBeGreaterThanOrEqual(0.75 * Number(FAST.FALLBACK_INTERVAL_MS));
    expect(status.startsWith('Offline — refreshing every 1 s')).toBe(true);
    expect(age).toBeLessThanOrEqual(6);
    expect(w.socketStatuses.size).toBe(0); // nothing reached the server on /socket.io/
    expect(w.socketFailures.length).toBeGreaterThan(0);
    expect(metrics.sockets).toBe(0);
    expect(metrics.viewers).toBeGreaterThanOrEqual(1); // fallback polls count as demand
  });

  it('screenshots: desktop and phone, once data is live (artifacts/map.png, artifacts/map-phone.png)', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const shots: Record<string, unknown> = {};
    for (const [file, context] of [
      ['map.png', { viewport: { width: 1366, height: 800 } }],
      ['map-phone.png', { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }],
    ] as const) {
      const w = await open({ context });
      await loadUntilLive(w, app.base);
      const match = await markersMatchApi(w.page, app.base);
      await waitUntil(() => hook.routes(w.page), (r) => r.length >= 3, 10_000, 'routes in the picker');
      // Tiles 404 here: the page must say so instead of showing a blank grid.
      await expect.poll(() => w.page.locator('#tile-note').isVisible(), { timeout: 15_000 }).toBe(true);
      const note = await w.page.locator('#tile-note').textContent();
      const status = await hook.status(w.page);
      const out = path.join(ARTIFACTS, file);
      await w.page.screenshot({ path: out });
      shots[file] = { bytes: statSync(out).size, markers: match.count, status, tileNote: note };
      expect(status.startsWith('Live')).toBe(true);
      expect(await w.page.locator('#routes').isVisible()).toBe(true);
    }
    expect(tiles.requests()).toBeGreaterThan(0);
    recordFigure('browser: screenshots', shots);
  });
});

describe('browser map: SIGKILL of the worker holding the page’s session', () => {
  let app: Topology | undefined;
  afterEach(async () => {
    await app?.stop();
    app = undefined;
  });

  it('goes "Reconnecting…" and back to "Live" within 5 s, without a reload and without a 400', async () => {
    app = await startTopology({ ...FAST, TILE_URL: tiles.url });
    const w = await open();
    await loadUntilLive(w, app.base);
    await markersMatchApi(w.page, app.base);
    const transportBefore = await hook.status(w.page);
    const victim = w.owner();
    expect(victim, `session ids seen: ${w.sids.join(', ')}`).not.toBeNull();
    const pid = app.workerPid(victim!);
    expect(pid).toBeDefined();
    const token = `before-kill-${Date.now()}`;
    await w.page.evaluate((t) => ((window as unknown as { __beforeKill: string }).__beforeKill = t), token);
    const navigationsBefore = w.navigations();
    const sidsBefore = w.sids.length;

    const killedAt = Date.now();
    process.kill(pid!, 'SIGKILL');
    const back = await waitUntil(
      () => w.statuses(),
      (s) => nonLiveAfter(s, killedAt).length > 0 && s.at(-1)!.kind === 'live' && s.at(-1)!.t > killedAt,
      15_000,
      'down and Live again after the kill',
    );
    const down = nonLiveAfter(back, killedAt);
    const liveAgain = back.filter((s) => s.t > killedAt && s.kind === 'live')[0]!;
    const reconnectMs = liveAgain.t - killedAt;
    const survived = await w.page.evaluate(() => (window as unknown as { __beforeKill?: string }).__beforeKill);
    const navEntries = await w.page.evaluate(() => performance.getEntriesByType('navigation').length);
    const newOwner = w.owner();
    // Fresh data after the reconnect (a new snapshot from the surviving worker).
    const after = await markersMatchApi(w.page, app.base);
    await waitUntil(async () => app!.readyWorkers().length, (n) => n >= 3, 30_000, 'replacement worker ready');
    recordFigure('browser: SIGKILL of the page’s worker', {
      victimWorker: victim,
      newWorker: newOwner,
      transportBefore,
      statusAfter: liveAgain.text,
      statesWhileDown: down.map((s) => s.text),
      firstDownAfterMs: down[0]!.t - killedAt,
      reconnectMs,
      socketIo400s: w.all400s(),
      socketIoStatuses: Object.fromEntries(w.socketStatuses),
      socketIoRequestFailures: w.socketFailures.length,
      newSessions: w.sids.length - sidsBefore,
      markersAfter: after.count,
    });
    expect(down[0]!.text).toMatch(/^Reconnecting… attempt \d+$/);
    expect(down.every((s) => s.kind === 'reconnecting')).toBe(true); // never fell back to Offline
    expect(reconnectMs).toBeLessThanOrEqual(5000);
    expect(liveAgain.text).toMatch(/^Live \((websocket|polling)\)$/);
    expect(survived).toBe(token); // same document: no reload
    expect(w.navigations()).toBe(navigationsBefore);
    expect(navEntries).toBe(1);
    expect(newOwner).not.toBe(victim);
    expect(newOwner).not.toBeNull();
    expect(w.all400s()).toBe(0);
  }, 120_000);
});

describe('browser map: the seed bug, reproduced (STICKY=false ALLOW_UNSAFE_TOPOLOGY=true WEB_CONCURRENCY=2)', () => {
  let app: Topology | undefined;
  afterEach(async () => {
    await app?.stop();
    app = undefined;
  });

  it('the status flickers: a non-Live state within 30 s after having been Live, with 400 Session ID unknown', async () => {
    // Its pages reconnect in a loop from one address by design: no per-address handshake limit.
    // Misrouted sessions hold the stop for GRACEFUL_TIMEOUT_MS; 2 s of it is enough here.
    app = await startTopology({ ...FAST, TILE_URL: tiles.url, STICKY: 'false', ALLOW_UNSAFE_TOPOLOGY: 'true', HANDSHAKES_PER_MINUTE_PER_IP: '0', GRACEFUL_TIMEOUT_MS: '2000' });
    // In a real browser the bug is probabilistic per page load: its keep-alive connections and its
    // WebSocket each reach a worker by round-robin, and a page whose connections all reach its
    // session's worker settles and stays Live (measured: 4 loads in 10 one at a time, more when
    // several load together). Flickers come within seconds of the first Live (observed: 18 ms–4.3 s),
    // because a settled page opens no new connections. So pages are opened in rounds of 3 (fresh
    // contexts: users opening the map), each watched for 10 s after its first Live (inside the 30 s
    // the issue allows), and rounds continue while none has flickered, within a time budget. A
    // round ends as soon as one of its pages flickers: the pages still watched are recorded as
    // undecided (neither settled nor flickered yet).
    const ROUND = 3;
    const AFTER_LIVE_MS = 10_000;
    const NEVER_LIVE_MS = 25_000;
    const BUDGET_MS = 150_000;
    const started = Date.now();
    const trials: Record<string, unknown>[] = [];
    let flickered = 0;
    let total400 = 0;
    const bad: { body: string }[] = [];
    for (let round = 0; flickered === 0 && (round === 0 || Date.now() - started < BUDGET_MS); round++) {
      const ws = await Promise.all(Array.from({ length: ROUND }, () => open()));
      const loadedAt = Date.now();
      await Promise.all(ws.map((w) => w.page.goto(app!.base, { waitUntil: 'load' })));
      // status() sampled every 100 ms from outside, next to the in-page MutationObserver (which sees every change).
      const sampled = ws.map(() => [] as { t: number; status: string }[]);
      let sampling = true;
      const samplers = ws.map(async (w, i) => {
        while (sampling) {
          sampled[i]!.push({ t: Date.now(), status: await hook.status(w.page).catch(() => '') });
          await sleep(100);
        }
      });
      type Outcome = { kind: 'flicker'; liveAt: number; down: StatusSample } | { kind: 'settled' | 'never-live' | 'undecided'; liveAt: number | null };
      const outcome: (Outcome | null)[] = ws.map(() => null);
      try {
        await waitUntil(
          async () => {
            for (const [i, w] of ws.entries()) {
              if (outcome[i]) continue;
              const samples = await w.statuses();
              const live = samples.find((x) => x.kind === 'live');
              const down = live ? nonLiveAfter(samples, live.t)[0] : undefined;
              if (live && down) outcome[i] = { kind: 'flicker', liveAt: live.t, down };
              else if (live && Date.now() - live.t > AFTER_LIVE_MS) outcome[i] = { kind: 'settled', liveAt: live.t };
              else if (!live && Date.now() - loadedAt > NEVER_LIVE_MS) outcome[i] = { kind: 'never-live', liveAt: null };
            }
            return outcome.some((o) => o?.kind === 'flicker') || outcome.every((o) => o !== null);
          },
          (done) => done,
          NEVER_LIVE_MS + AFTER_LIVE_MS + 15_000,
          'a page flickered, or every page stayed Live for the window or never got Live',
          200,
        );
      } finally {
        sampling = false;
        await Promise.all(samplers);
      }
      for (const [i, w] of ws.entries()) {
        const samples = await w.statuses();
        const o: Outcome = outcome[i] ?? { kind: 'undecided', liveAt: samples.find((x) => x.kind === 'live')?.t ?? null };
        const liveAt = o.liveAt;
        if (o.kind === 'flicker') flickered++;
        total400 += w.all400s();
        bad.push(...w.socket400s);
        trials.push({
          round,
          outcome: o.kind,
          firstLiveMs: liveAt === null ? null : liveAt - loadedAt,
          firstNonLiveAfterLiveMs: o.kind === 'flicker' ? o.down.t - o.liveAt : null,
          firstNonLiveText: o.kind === 'flicker' ? o.down.text : null,
          liveToNonLive: samples.filter((x, k) => k > 0 && samples[k - 1]!.kind === 'live' && x.kind !== 'live').length,
          statesSeen: [...new Set(samples.map((x) => x.kind))],
          sampledNonLiveAfterLive: liveAt === null ? 0 : sampled[i]!.filter((x) => x.t > liveAt && x.status !== '' && !x.status.startsWith('Live')).length,
          finalStatus: samples.at(-1)?.text,
          socketIo400s: w.all400s(),
          polling400s: w.socket400s.length,
          websocketHandshake400s: w.wsErrors.filter((e) => /\b400\b/.test(e)).length,
          sessions: w.sids.length,
          sessionOwners: [...new Set(w.sids.map((x) => ownerOfSession(x)))],
        });
      }
      // Free the CPU for the next round (checked like every page: no CSP violation, error or foreign request).
      for (const w of ws) {
        expect(await pageProblems(w)).toEqual({ csp: [], pageErrors: [], foreign: [] });
        await w.page.close();
      }
    }
    recordFigure('browser: unsafe topology (STICKY=false, 2 workers)', {
      watchAfterLiveMs: AFTER_LIVE_MS,
      pages: trials.length,
      flickered,
      settled: trials.filter((t) => t.outcome === 'settled').length,
      undecided: trials.filter((t) => t.outcome === 'undecided').length,
      neverLive: trials.filter((t) => t.outcome === 'never-live').length,
      socketIo400sTotal: total400,
      trials,
    });
    expect(flickered, 'pages with a non-Live state within 30 s after Live').toBeGreaterThan(0);
    expect(trials.every((t) => t.outcome !== 'flicker' || (t.firstNonLiveAfterLiveMs as number) <= 30_000)).toBe(true);
    expect(total400).toBeGreaterThan(0);
    // The page saw the protocol's answer for a session the worker does not hold.
    await waitUntil(async () => bad.map((b) => b.body), (b) => b.some((x) => x.includes('Session ID unknown')), 5000, 'a "Session ID unknown" 400 body');
  }, 300_000);
});

/**
 * Worker recycling a long-polling server can live with (issue 12, item 4), against the real
 * topology (`node dist/main.js`, 2 workers): only new sessions count toward
 * MAX_SESSIONS_PER_WORKER — `/healthz`, long-polls, POSTs and requests forwarded between workers
 * do not — workers are recycled one at a time and never before MIN_WORKER_LIFETIME_MS, and no
 * client sees a defective 400. Then a short soak whose recycles and sessions lost stay within
 * what the README arithmetic (bench/recycling/predict.ts) predicts.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { runBound } from '../bench/recycling/predict.ts';
import { bad400s, runRecyclingSoak } from '../bench/recycling/soak.ts';
import { recycleTimeline } from '../bench/recycling/timeline.ts';
import { sleep, waitFor } from './support/clients.js';
import { recordFigure } from './support/figures.js';
import { startFleet } from './support/fleet-run.js';
import { rawExchange } from './support/raw-http.js';
import { startTopology } from './support/topology.js';

/** Fast heartbeat and frequent data, so a few seconds make hundreds of polls. */
const BUSY = { POLL_INTERVAL_MS: '200', PING_INTERVAL_MS: '1000', PING_TIMEOUT_MS: '5000', DEMAND_GRACE_MS: '500', WEB_CONCURRENCY: '2' };
/** Every client here comes from 127.0.0.1: no per-address handshake limit. */
const ONE_ADDRESS = { HANDSHAKES_PER_MINUTE_PER_IP: '0' };
const LIMIT = 12;
const MIN_LIFE_MS = 1_500;

/**
 * New Engine.IO sessions by raw handshake, each on a new connection (so the router spreads them
 * over the workers), until `done()` or `max`; resolves with how many the service accepted.
 */
async function handshakeUntil(port: number, done: () => boolean, max: number): Promise<number> {
  let accepted = 0;
  for (let i = 0; i < max && !done(); i++) {
    const a = await rawExchange(port, ['GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: t\r\n\r\n']);
    if (a?.status === 200) accepted += 1;
    await sleep(5);
  }
  return accepted;
}

async function metric(port: number, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(pattern.exec(text)?.[1] ?? NaN);
}

describe('recycling counts new sessions, one worker at a time', () => {
  it('1,000 × /healthz and hundreds of polls recycle nothing; new sessions recycle both workers in turn with 0 × 400', { timeout: 60_000 }, async () => {
    // Data every 100 ms: the clients' long-polls come back twice as often as at BUSY's 200 ms,
    // so the hundreds of polls that must not count arrive in half the time; each recycle
    // drains over 500 ms.
    const app = await startTopology({ ...BUSY, ...ONE_ADDRESS, POLL_INTERVAL_MS: '100', MAX_SESSIONS_PER_WORKER: String(LIMIT), MAX_SESSIONS_JITTER: '0', MIN_WORKER_LIFETIME_MS: String(MIN_LIFE_MS), DRAIN_WINDOW_MS: '500' });
    onTestFinished(async () => void (await app.stop()));
    // 8 polling clients (fewer than LIMIT even on one worker): half through a pooled proxy,
    // whose shared connections make workers forward requests for each other's sessions.
    const fleet = await startFleet(app, 8);
    onTestFinished(() => fleet.close());
    // 1,000 health checks, 10 at a time (as several load balancers would send them).
    let healthy = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let i = 0; i < 100; i++) if ((await fetch(`${app.base}/healthz`)).status === 200) healthy += 1;
      }),
    );
    expect(healthy).toBe(1000);
    await waitFor(() => fleet.polls() >= 40 * LIMIT, 30_000, `${40 * LIMIT} polls`);
    const quiet = recycleTimeline(app.logs);
    expect(quiet.wanted).toBe(0);
    expect(quiet.recycles).toEqual([]);

    // New sessions until both workers passed LIMIT (about 2 × LIMIT − 8 of them).
    const opened = await handshakeUntil(app.port, () => recycleTimeline(app.logs).wanted >= 2, 200);
    expect(opened).toBeLessThanOrEqual(3 * LIMIT);
    await waitFor(() => recycleTimeline(app.logs).recycles.filter((r) => r.exitAt !== null).length >= 2, 40_000, 'two recycles done');
    await waitFor(() => fleet.clients.every((c) => c.socket.connected), 10_000, 'every polling client connected again');
    const t = recycleTimeline(app.logs);
    const lost = await metric(app.metricsPort, /transit_sessions_lost_total\{cause="worker_recycled"\} (\d+)/);
    recordFigure('recycling: sessions counted, one at a time (2 workers, limit 12)', {
      polls: fleet.polls(),
      wanted: t.wanted,
      recycles: t.recycles.length,
      maxConcurrent: t.maxConcurrent,
      sessionsLost: lost,
      bad400: fleet.bad(),
      ended400: fleet.ended(),
    });
    expect(t.recycles.length).toBeGreaterThanOrEqual(2);
    expect(t.recycles.every((r) => r.trigger === 'sessions')).toBe(true);
    expect(t.maxConcurrent, JSON.stringify(t.recycles)).toBe(1);
    const [first, second] = t.recycles;
    // One at a time: the second began only after the first had exited...
    expect(second!.beganAt).toBeGreaterThanOrEqual(first!.exitAt!);
    // ...and the first drained only once its replacement was ready.
    expect(t.ready.some((r) => r.at >= first!.beganAt && r.at <= first!.drainAt!)).toBe(true);
    // Log lines carry millisecond wall-clock times; the queue measures on the monotonic clock.
    for (const r of t.recycles) expect(r.beganAt - r.readyAt!).toBeGreaterThanOrEqual(MIN_LIFE_MS - 10);
    expect(lost).toBeGreaterThan(0);
    expect(fleet.bad()).toBe(0);
    await sleep(500);
    expect(fleet.clients.every((c) => c.vehicles.size > 0)).toBe(true);
  });
});

describe('recycling soak (short): within the arithmetic', () => {
  // What was a 40 s soak, run at twice the speed: every time in it (run, session length, ramp,
  // minimum lifetime, drain window, data and heartbeat intervals) is half of what it was. The
  // seeded session lengths scale with the mean, so the same sessions arrive (69 on both
  // here; 20 + 4/s × 20 s = 100 counted expected, as 20 + 2/s × 40 s) and runBound derives
  // the same bounds from them (8 recycles, 160 sessions lost on both runs).
  it('20 polling clients, sessions arriving ~4/s, limit 30 + 5 for 20 s: recycles and sessions lost ≤ predicted, 0 × 400', { timeout: 90_000 }, async () => {
    const settings = { maxSessions: 30, jitter: 5, minLifetimeMs: 2_500, drainWindowMs: 500 };
    const env = {
      ...BUSY,
      ...ONE_ADDRESS,
      POLL_INTERVAL_MS: '500',
      PING_INTERVAL_MS: '1000',
      MAX_SESSIONS_PER_WORKER: String(settings.maxSessions),
      MAX_SESSIONS_JITTER: String(settings.jitter),
      MIN_WORKER_LIFETIME_MS: String(settings.minLifetimeMs),
      DRAIN_WINDOW_MS: String(settings.drainWindowMs),
    };
    const f = await runRecyclingSoak({ env, clients: 20, durationMs: 20_000, meanSessionMs: 5_000, rampMs: 1_000 });
    const bound = runBound({ clients: 20, workers: 2, requestsPerClientPerSec: f.requestsPerClientPerSec, newSessionsPerSec: f.arrivals / f.durationS }, settings, f.durationS * 1000);
    recordFigure('recycling: short soak (20 clients, 20 s, limit 30 + 5)', {
      arrivals: f.arrivals,
      connects: f.connects,
      recycles: f.timeline.recycles.length,
      predictedRecyclesMax: bound.recycles,
      sessionsLost: f.sessionsLostToRecycling,
      predictedLostMax: bound.sessionsLost,
      maxConcurrent: f.timeline.maxConcurrent,
      bad400: bad400s(f),
      ended400: f.byCause.ended ?? 0,
      workerRssMiB: f.workerRssMiB,
    });
    expect(f.arrivals).toBeGreaterThan(40);
    expect(f.timeline.recycles.length).toBeGreaterThanOrEqual(1);
    expect(f.timeline.recycles.length).toBeLessThanOrEqual(bound.recycles);
    expect(f.sessionsLostToRecycling).toBeGreaterThan(0);
    expect(f.sessionsLostToRecycling).toBeLessThanOrEqual(bound.sessionsLost);
    expect(f.timeline.maxConcurrent, JSON.stringify(f.timeline.recycles)).toBe(1);
    expect(bad400s(f)).toBe(0);
    expect(f.connectFailures).toBe(0);
  });
});

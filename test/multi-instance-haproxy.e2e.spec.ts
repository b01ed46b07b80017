import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Haproxy } from '../scripts/predeploy/haproxy.ts';
import { instanceOfSession } from '../src/shared/session-id.js';
import { scrape, sumOf, type TextSample } from './observability/metrics-text.js';
import { connectClient, sleep, waitFor, type TrackedClient } from './support/clients.js';
import { moveVehicles, startFakeGtfsUpstream, type FakeGtfsUpstream } from './support/fake-gtfs-upstream.js';
import { recordFigure } from './support/figures.js';
import { startRedis, type RedisServer } from './support/redis-server.js';
import { productionEnv, proxyLog, startSidRoutingHaproxy } from './support/sid-routing-haproxy.js';
import { startTopology, type Topology } from './support/topology.js';

const INTERVAL = 500;
const WINDOW = 15_000;
/** Two machines named the way Fly names them (FLY_MACHINE_ID), one the way a self-hosted deployment does (INSTANCE_ID). */
const MACHINES: Record<string, string>[] = [{ FLY_MACHINE_ID: 'hx1a' }, { FLY_MACHINE_ID: 'hx2b' }, { INSTANCE_ID: 'hx3c' }];
const NAMES = ['hx1a', 'hx2b', 'hx3c'];
/** Long-polling only (a browser behind a proxy that breaks websockets), polling then upgrade (stock), websocket only. */
const TRANSPORTS: ('polling' | 'websocket')[][] = [...Array(12).fill(['polling']), ...Array(3).fill(['polling', 'websocket']), ...Array(3).fill(['websocket'])];

const is400 = (s: TextSample[]) => ({
  pollingAnswers400: sumOf(s, 'transit_polling_requests_total', { status: '400' }),
  sessionUnknown: sumOf(s, 'transit_session_unknown_total'),
  engineErrors: sumOf(s, 'transit_engine_connection_errors_total'),
});

describe('3 instances of the production command behind HAProxy, one redis-server', () => {
  let redis: RedisServer;
  let upstream: FakeGtfsUpstream;
  let instances: Topology[] = [];
  let proxy: Haproxy;
  let clients: TrackedClient[] = [];
  let stopMoving: (() => void) | undefined;

  beforeAll(async () => {
    redis = await startRedis();
    upstream = await startFakeGtfsUpstream({ vehicles: [] });
    stopMoving = moveVehicles(upstream);
    // Production's settings, but a poll every 500 ms (a measurable window) and a bounded shutdown.
    const env = { FEED: 'gtfs-rt', FEED_URL: upstream.url, REDIS_URL: redis.url, POLL_INTERVAL_MS: String(INTERVAL), GRACEFUL_TIMEOUT_MS: '5000' };
    // allSettled: the instances that did start are stopped in afterAll even when one did not.
    const started = await Promise.allSettled(MACHINES.map((m) => startTopology(productionEnv({ ...env, ...m }))));
    instances = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    proxy = await startSidRoutingHaproxy(
      instances.map((t, i) => ({ name: NAMES[i]!, port: t.port })),
      { clientMs: 60_000, serverMs: 60_000, tunnelMs: 120_000 }, // above pingInterval + pingTimeout (45 s)
    );
  });

  afterAll(async () => {
    stopMoving?.();
    for (const c of clients) c.close();
    await proxy?.stop();
    await Promise.all(instances.map((t) => t.stop()));
    await upstream?.close();
    await redis?.stop();
  });

  it('routes every sid to its instance: 0 × 400, and upstream calls ÷ ideal = 1.00 ± 0.05 with viewers on every instance', async () => {
    clients = TRANSPORTS.map((transports) => connectClient(proxy.url, { transports }));
    await waitFor(() => clients.every((c) => c.deltas >= 2), 20_000, `all ${clients.length} clients get deltas through HAProxy`);

    const onTransport = (name: string) => clients.filter((c) => c.socket.io.engine.transport.name === name).length;
    const transportsNow = { polling: onTransport('polling'), websocket: onTransport('websocket') };
    const perInstance = Object.fromEntries(NAMES.map((n) => [n, clients.filter((c) => instanceOfSession(c.socket.io.engine.id) === n).length]));
    const before = await Promise.all(instances.map((t) => scrape(t.metricsPort)));
    const from = Date.now();
    await sleep(WINDOW);
    const to = Date.now();
    const after = await Promise.all(instances.map((t) => scrape(t.metricsPort)));

    const calls = upstream.callTimes().filter((t) => t >= from && t < to).length;
    const leaders = instances.filter((t) => t.logs.some((l) => l.event === 'poller_lease' && l.leader === true));
    const effectiveMs = 1000 * sumOf(after[instances.indexOf(leaders[0]!)]!, 'transit_poll_effective_interval_seconds');
    // Ideal: one call per effective interval (POLL_INTERVAL_MS, stretched only by a budget) over the window.
    const ideal = WINDOW / effectiveMs;
    const ratio = Math.round((100 * calls) / ideal) / 100;
    const upstreamByInstance = after.map((s, i) => sumOf(s, 'transit_upstream_requests_total') - sumOf(before[i]!, 'transit_upstream_requests_total'));
    const connectionsByInstance = after.map((s) => sumOf(s, 'transit_socket_connections'));
    const instance400s = after.map(is400);
    const log = proxyLog(proxy.stderr());
    const misrouted = log.filter((l) => l.sid !== '' && !l.sid.startsWith(`${l.server}~`));
    const proxy400s = log.filter((l) => l.status === 400);
    const replays = log.filter((l) => l.status === 409).length;
    const requestsByServer = Object.fromEntries(NAMES.map((n) => [n, log.filter((l) => l.server === n).length]));
    const clientErrors = clients.flatMap((c) => c.errors);
    const disconnects = clients.reduce((n, c) => n + c.disconnectedAt.length, 0);

    recordFigure('multi-instance-haproxy: 3 instances, sid routing, one Redis', {
      calls,
      ideal,
      ratio,
      effectiveIntervalMs: effectiveMs,
      windowMs: WINDOW,
      leaders: leaders.map((t) => NAMES[instances.indexOf(t)]),
      upstreamByInstance,
      clientsPerInstance: perInstance,
      connectionsByInstance,
      transportsNow,
      proxyRequests: log.length,
      requestsByServer,
      proxy400s: proxy400s.length,
      replays,
      misrouted: misrouted.length,
      instance400s,
      clientErrors: clientErrors.length,
      disconnects,
    });

    // Viewers on every instance, by session id and by each instance's own gauge.
    for (const n of NAMES) expect(perInstance[n]).toBeGreaterThanOrEqual(1);
    for (const c of connectionsByInstance) expect(c).toBeGreaterThanOrEqual(1);
    expect(transportsNow).toEqual({ polling: 12, websocket: 6 });
    // HAProxy sent each sid to the instance it names, so no instance had to answer 409 + fly-replay.
    expect(misrouted).toEqual([]);
    expect(replays).toBe(0);
    expect(log.length).toBeGreaterThan(clients.length);
    // 0 × 400: at HAProxy, at every instance, at every client.
    expect(proxy400s).toEqual([]);
    expect(instance400s).toEqual(NAMES.map(() => ({ pollingAnswers400: 0, sessionUnknown: 0, engineErrors: 0 })));
    expect(clientErrors).toEqual([]);
    expect(disconnects).toBe(0);
    // One poller for the deployment, at the rate POLL_INTERVAL_MS asks for.
    expect(leaders).toHaveLength(1);
    expect(upstreamByInstance.filter((n) => n > 0)).toHaveLength(1);
    expect(effectiveMs).toBe(INTERVAL);
    expect(ratio).toBeGreaterThanOrEqual(0.95);
    expect(ratio).toBeLessThanOrEqual(1.05);
  });
});

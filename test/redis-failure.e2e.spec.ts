import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../scripts/predeploy/free-port.ts';
import { LEASE_MS } from '../src/coordination/redis-coordinator.js';
import { connectClient, sleep, waitFor, type TrackedClient } from './support/clients.js';
import { startFakeGtfsUpstream, type FakeGtfsUpstream } from './support/fake-gtfs-upstream.js';
import { recordFigure } from './support/figures.js';
import { startRedis, type RedisServer } from './support/redis-server.js';
import { startTopology, type Topology } from './support/topology.js';

const INTERVAL = 1000;
const PAUSE_MS = 10_000;
const NAMES = ['red-a', 'red-b', 'red-c'] as const;

interface Call {
  at: number;
  instance: string;
}

interface Readyz {
  details: { coordination: { status: string; kind: string; state: string; reason: string | null; fence: number | null } };
}

async function readyz(t: Topology): Promise<Readyz['details']['coordination']> {
  const res = await fetch(`${t.base}/readyz`);
  expect(res.status).toBe(200);
  return ((await res.json()) as Readyz).details.coordination;
}

/** The smallest gap between two consecutive upstream calls made by different instances. */
function minCrossInstanceGap(calls: readonly Call[]): number {
  let min = Infinity;
  for (let i = 1; i < calls.length; i++) {
    if (calls[i]!.instance !== calls[i - 1]!.instance) min = Math.min(min, calls[i]!.at - calls[i - 1]!.at);
  }
  return min;
}

describe('Redis that fails: three instances, one poller, clients never notice', () => {
  let redis: RedisServer;
  const upstreams = new Map<string, FakeGtfsUpstream>();
  const nodes = new Map<string, Topology>();
  const clients = new Map<string, TrackedClient>();
  let mover: NodeJS.Timeout;
  let tick = 0;

  const calls = (): Call[] =>
    [...upstreams].flatMap(([instance, u]) => u.callTimes().map((at) => ({ at, instance }))).sort((a, b) => a.at - b.at);
  const callersBetween = (from: number, to: number) => new Set(calls().filter((c) => c.at >= from && c.at < to).map((c) => c.instance));
  const everyClientMovesOn = async (names: readonly string[], timeoutMs: number, what: string) => {
    const from = new Map(names.map((n) => [n, clients.get(n)!.version]));
    await waitFor(() => names.every((n) => clients.get(n)!.version > from.get(n)!), timeoutMs, what);
  };

  beforeAll(async () => {
    redis = await startRedis();
    for (const name of NAMES) upstreams.set(name, await startFakeGtfsUpstream());
    const fleet = (t: number) => [0, 1, 2].map((i) => ({ id: `v${i}`, routeId: 'N', lat: 37.76 + t * 1e-4, lon: -122.43 + i * 1e-3, bearing: 90, updatedAt: t }));
    mover = setInterval(() => {
      tick += 1;
      for (const u of upstreams.values()) u.setVehicles(fleet(tick));
    }, 100);
    const started = await Promise.all(
      NAMES.map((name) =>
        startTopology({
          FEED: 'gtfs-rt',
          // One fake upstream per instance, so each call is attributed to the instance that made it.
          FEED_URL: upstreams.get(name)!.url,
          REDIS_URL: redis.url,
          POLL_INTERVAL_MS: String(INTERVAL),
          DEMAND_GRACE_MS: '60000',
          WEB_CONCURRENCY: '1',
          INSTANCE_ID: name,
        }),
      ),
    );
    NAMES.forEach((name, i) => nodes.set(name, started[i]!));
  }, 60_000);

  afterAll(async () => {
    clearInterval(mover);
    for (const c of clients.values()) c.close();
    await Promise.all([...nodes.values()].map((t) => t.stop()));
    await Promise.all([...upstreams.values()].map((u) => u.close()));
    await redis?.stop();
  });

  it('Redis paused for 10 s: no exit, clients keep their snapshot, no two pollers in one interval, one poller within 5 s of recovery; then SIGKILL of the holder', async () => {
    for (const name of NAMES) clients.set(name, connectClient(nodes.get(name)!.base));
    await waitFor(() => [...clients.values()].every((c) => c.version > 1 && c.vehicles.size === 3), 15_000, 'data on every instance');
    await everyClientMovesOn(NAMES, 5_000, 'data flowing before the outage');

    const pausedAt = Date.now();
    redis.pause();
    await sleep(PAUSE_MS / 2);
    const during = await Promise.all(NAMES.map((n) => readyz(nodes.get(n)!)));
    await sleep(PAUSE_MS / 2);
    const resumedAt = Date.now();
    const heldVehicles = [...clients.values()].map((c) => c.vehicles.size);
    redis.resume();

    await everyClientMovesOn(NAMES, 8_000, 'data on every instance after Redis is back');
    const dataBackMs = Date.now() - resumedAt;
    const firstCallAfter = calls().find((c) => c.at >= resumedAt);
    await sleep(Math.max(0, resumedAt + 8_000 - Date.now()));
    const pollersAfter5s = callersBetween(resumedAt + 5_000, resumedAt + 8_000);
    const silentDuringOutage = callersBetween(pausedAt + LEASE_MS, resumedAt);
    const outageGap = minCrossInstanceGap(calls());

    // Now the holder dies: the others take over within the lease plus one interval.
    const holder = [...callersBetween(resumedAt + 5_000, Date.now() + 1)][0]!;
    const survivors = NAMES.filter((n) => n !== holder);
    const disconnectsBeforeKill = [...clients.values()].map((c) => c.disconnectedAt.length);
    nodes.get(holder)!.proc.kill('SIGKILL');
    clients.get(holder)!.close();
    const killedAt = Date.now();
    await everyClientMovesOn(survivors, 10_000, 'data on the survivors after the holder died');
    const failoverMs = Date.now() - killedAt;
    await sleep(2 * INTERVAL);
    const killGap = minCrossInstanceGap(calls());

    recordFigure('redis-failure: 3 instances, Redis SIGSTOPped 10 s, then the holder SIGKILLed', {
      intervalMs: INTERVAL,
      upstreamCalls: calls().length,
      minCrossInstanceGapMs: Math.min(outageGap, killGap),
      callsWhileRedisPaused: calls().filter((c) => c.at >= pausedAt + LEASE_MS && c.at < resumedAt).length,
      firstCallAfterRecoveryMs: firstCallAfter ? firstCallAfter.at - resumedAt : null,
      dataOnEveryInstanceAfterRecoveryMs: dataBackMs,
      pollersAfterRecovery: [...pollersAfter5s].join(','),
      failoverDataBackMs: failoverMs,
      failoverBoundMs: LEASE_MS + INTERVAL,
    });

    for (const c of during) expect(c).toMatchObject({ kind: 'redis', state: 'unreachable', status: 'degraded' });
    for (const c of during) expect(c.reason).toEqual(expect.any(String));
    expect(heldVehicles).toEqual([3, 3, 3]);
    expect(disconnectsBeforeKill).toEqual([0, 0, 0]);
    expect(silentDuringOutage.size).toBe(0);
    expect(pollersAfter5s.size).toBe(1);
    // Never two instances polling within one interval (arrival times at the fake upstreams).
    expect(outageGap).toBeGreaterThanOrEqual(0.9 * INTERVAL);
    expect(killGap).toBeGreaterThanOrEqual(0.9 * INTERVAL);
    expect(failoverMs).toBeLessThanOrEqual(LEASE_MS + INTERVAL);
    for (const n of survivors) expect(nodes.get(n)!.proc.exitCode).toBeNull();
    for (const n of survivors) expect(clients.get(n)!.errors).toEqual([]);
  }, 70_000);
});

describe('Redis absent at boot', () => {
  it('the public port answers /healthz within 10 s, /readyz says why there is no lease, and the lease is taken once Redis starts', async () => {
    const port = await freePort();
    const upstream = await startFakeGtfsUpstream({ vehicles: [{ id: 'v0', routeId: 'N', lat: 37.76, lon: -122.43, bearing: 0, updatedAt: 1 }] });
    const spawnedAt = Date.now();
    const node = await startTopology({ FEED: 'gtfs-rt', FEED_URL: upstream.url, REDIS_URL: `redis://127.0.0.1:${port}`, POLL_INTERVAL_MS: String(INTERVAL), WEB_CONCURRENCY: '1', INSTANCE_ID: 'lonely' });
    let redis: RedisServer | undefined;
    const client = connectClient(node.base);
    try {
      const health = await fetch(`${node.base}/healthz`);
      const healthyAfterMs = Date.now() - spawnedAt;
      await waitFor(() => client.socket.connected, 5_000, 'a client connects without Redis');
      const before = await readyz(node);
      redis = await startRedis(port);
      const redisAt = Date.now();
      await waitFor(() => client.version > 0, 10_000, 'data once Redis is there');
      const after = await readyz(node);
      recordFigure('redis-failure: Redis absent at boot', { healthyAfterMs, dataAfterRedisStartsMs: Date.now() - redisAt, stateBefore: before.state, stateAfter: after.state });
      expect(health.status).toBe(200);
      expect(healthyAfterMs).toBeLessThanOrEqual(10_000);
      expect(before).toMatchObject({ kind: 'redis', status: 'degraded' });
      expect(['connecting', 'unreachable']).toContain(before.state);
      expect(before.reason).toEqual(expect.any(String));
      expect(after).toMatchObject({ kind: 'redis', state: 'leader', reason: null, status: 'up' });
      expect(upstream.calls()).toBeGreaterThan(0);
    } finally {
      client.close();
      await node.stop();
      await upstream.close();
      await redis?.stop();
    }
  }, 30_000);
});

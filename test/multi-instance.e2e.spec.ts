import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, sleep, waitFor } from './support/clients.js';
import { moveVehicles, startFakeGtfsUpstream, type FakeGtfsUpstream } from './support/fake-gtfs-upstream.js';
import { recordFigure } from './support/figures.js';
import { startRedis, type RedisServer } from './support/redis-server.js';
import { startTopology, type Topology } from './support/topology.js';

const INTERVAL = 500;
const GRACE = 1000;

describe('several instances sharing REDIS_URL: one poller for the deployment', () => {
  let redis: RedisServer;
  let upstream: FakeGtfsUpstream;
  let a: Topology;
  let b: Topology;
  let stopMoving: (() => void) | undefined;

  beforeAll(async () => {
    redis = await startRedis();
    upstream = await startFakeGtfsUpstream({ vehicles: [] });
    stopMoving = moveVehicles(upstream);
    const env = {
      FEED: 'gtfs-rt',
      FEED_URL: upstream.url,
      REDIS_URL: redis.url,
      POLL_INTERVAL_MS: String(INTERVAL),
      DEMAND_GRACE_MS: String(GRACE),
      WEB_CONCURRENCY: '1',
    };
    a = await startTopology({ ...env, INSTANCE_ID: 'machine-a' });
    b = await startTopology({ ...env, INSTANCE_ID: 'machine-b' });
  });

  afterAll(async () => {
    stopMoving?.();
    await a?.stop();
    await b?.stop();
    await upstream?.close();
    await redis?.stop();
  });

  it('calls upstream once per interval for viewers on both instances, and not at all without them', async () => {
    await sleep(3 * INTERVAL);
    expect(upstream.calls()).toBe(0);
    const onA = connectClient(a.base);
    const onB = connectClient(b.base);
    await waitFor(() => onA.deltas >= 2 && onB.deltas >= 2, 10_000, 'deltas on both instances');
    const from = upstream.calls();
    await sleep(10 * INTERVAL);
    const calls = upstream.calls() - from;
    const leaders = [a, b].filter((t) => t.logs.some((l) => l.event === 'poller_lease' && l.leader === true)).length;
    // Same data everywhere: the follower forwards the leader's snapshots.
    await waitFor(() => onA.version === onB.version, 3000, 'same version on both instances');
    recordFigure('multi-instance: 2 instances, viewers on both', { calls, ideal: 10, leaders });
    expect(leaders).toBe(1);
    expect(calls).toBeGreaterThanOrEqual(9);
    expect(calls).toBeLessThanOrEqual(11);
    onA.close();
    onB.close();
    await sleep(GRACE + 1500 + 3 * INTERVAL); // grace + demand propagation through Redis
    const settled = upstream.calls();
    await sleep(4 * INTERVAL);
    expect(upstream.calls()).toBe(settled);
  });

  it('session ids name their instance; a session of another instance is replayed there (fly-replay)', async () => {
    const c = connectClient(a.base);
    await waitFor(() => c.socket.connected, 10_000, 'connected');
    expect(c.socket.io.engine.id).toMatch(/^machine-a~\d+\./);
    const foreign = `${b.base.replace(/\/$/, '')}/socket.io/?EIO=4&transport=polling&sid=${encodeURIComponent(c.socket.io.engine.id)}`;
    const res = await fetch(foreign);
    expect(res.status).toBe(409);
    expect(res.headers.get('fly-replay')).toBe('instance=machine-a');
    c.close();
  });

  it('viewers only on the follower still keep the leader polling', async () => {
    const leader = a.logs.some((l) => l.event === 'poller_lease' && l.leader === true) ? a : b;
    const follower = leader === a ? b : a;
    const c = connectClient(follower.base);
    await waitFor(() => c.deltas >= 3, 10_000, 'deltas via the follower');
    expect(c.errors).toEqual([]);
    // The follower's data is as fresh as the leader's: its snapshot age does not count up from boot.
    const metrics = await (await fetch(`http://127.0.0.1:${follower.metricsPort}/metrics`)).text();
    const age = Number(/^transit_snapshot_age_seconds (\S+)/m.exec(metrics)?.[1]);
    recordFigure('multi-instance: follower snapshot age', { ageSeconds: age });
    expect(age).toBeLessThan(3);
    c.close();
  });

  it('when the leader instance dies, the other takes over the lease and its viewers keep getting data', async () => {
    const leader = a.logs.some((l) => l.event === 'poller_lease' && l.leader === true) ? a : b;
    const survivor = leader === a ? b : a;
    const c = connectClient(survivor.base);
    await waitFor(() => c.deltas >= 2, 10_000, 'live before the failover');
    leader.proc.kill('SIGKILL');
    const killedAt = Date.now();
    const version = c.version;
    await waitFor(() => survivor.logs.some((l) => l.event === 'poller_lease' && l.leader === true), 10_000, 'survivor takes the lease');
    await waitFor(() => c.version > version + 1, 10_000, 'data flows again');
    recordFigure('multi-instance: failover', { dataBackAfterMs: Date.now() - killedAt });
    c.close();
  });
});

describe('several machines without Redis (Fly names each machine)', () => {
  it("a session of one machine sent to the other gets 409 + fly-replay, never 400; both say they are uncoordinated", async () => {
    const { startTopology } = await import('./support/topology.js');
    const [m1, m2] = await Promise.all([startTopology({ WEB_CONCURRENCY: '2', FLY_MACHINE_ID: 'm1aaa' }), startTopology({ WEB_CONCURRENCY: '2', FLY_MACHINE_ID: 'm2bbb' })]);
    try {
      const hs = await (await fetch(`${m1.base}/socket.io/?EIO=4&transport=polling`)).text();
      const sid = JSON.parse(hs.slice(1)).sid as string;
      expect(sid.startsWith('m1aaa~')).toBe(true);
      const stray = await fetch(`${m2.base}/socket.io/?EIO=4&transport=polling&sid=${sid}`);
      expect(stray.status).toBe(409);
      expect(stray.headers.get('fly-replay')).toBe('instance=m1aaa');
      await stray.text();
      const ready = (await (await fetch(`${m2.base}/readyz`)).json()) as { details: { topology: { coordination: string; instance: string } } };
      expect(ready.details.topology).toMatchObject({ coordination: 'none', instance: 'm2bbb' });
      for (const m of [m1, m2]) expect(m.logs.some((l) => l.event === 'uncoordinated_instance')).toBe(true);
    } finally {
      await Promise.all([m1.stop(), m2.stop()]);
    }
  });
});

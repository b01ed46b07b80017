/**
 * The k6-side code (LoadClient, k6-polling, k6-websocket, k6-env) run under vitest with k6's
 * modules shimmed (k6-shim.ts: synchronous http like k6's, recording metrics), against the real
 * socket.io fixture in a child process (sync HTTP blocks this thread).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';

vi.mock('k6', async () => (await import('./k6-shim.ts')).k6);
vi.mock('k6/http', async () => (await import('./k6-shim.ts')).httpModule);
vi.mock('k6/metrics', async () => (await import('./k6-shim.ts')).metrics);
vi.mock('k6/timers', async () => (await import('./k6-shim.ts')).timers);
vi.mock('k6/websockets', async () => (await import('./k6-shim.ts')).websockets);

import { EioSession } from '../../loadtest/lib/engineio.ts';
import { LoadClient, type LoadClientConfig } from '../../loadtest/lib/k6-client.ts';
import { runPollingClient } from '../../loadtest/lib/k6-polling.ts';
import { runWebSocketClient } from '../../loadtest/lib/k6-websocket.ts';
import type { FixtureOptions } from './fixture-server.ts';
import { checks, resetShim, samples, stopSyncHttp, values } from './k6-shim.ts';

interface Spawned { baseUrl: string; child: ChildProcess; stats(): Promise<{ auths: { connects: number }[]; disconnects: string[] }> }
const children: ChildProcess[] = [];

async function spawnFixture(opts: FixtureOptions): Promise<Spawned> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./fixture-cli.ts', import.meta.url)), JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const baseUrl = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      const m = /READY (\S+)/.exec(String(chunk));
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`fixture exited with ${code}`)));
  });
  return { baseUrl, child, stats: async () => (await fetch(`${baseUrl}/stats`)).json() as never };
}

const sum = (name: string) => values(name).reduce((a, b) => a + b, 0);

/**
 * A LoadClient whose "deadline" is a condition instead of a clock, so a loaded CI box only makes
 * the test slower, not red (capped at 20 s, after which the assertions say what was missing).
 */
class UntilClient extends LoadClient {
  until: () => boolean = () => true;
  private readonly cap = Date.now() + 20_000;
  override timeLeftMs(now = Date.now()): number {
    return this.until() || now > this.cap ? -1 : 1;
  }
}
function clientUntil(cfg: LoadClientConfig, until: (c: LoadClient) => boolean): UntilClient {
  const c = new UntilClient(cfg);
  c.until = () => until(c);
  return c;
}
const ROUTES = ['N', '38'];

beforeEach(() => resetShim());
afterEach(() => { for (const c of children.splice(0)) c.kill('SIGTERM'); });
afterAll(async () => { await stopSyncHttp(); });

describe('k6 polling driver (sync http) against socket.io', () => {
  it('runs a client to its deadline: subscribe, latency, a recycled session, reconnect, clean close', async () => {
    const fx = await spawnFixture({ deltaEveryMs: 100, recycleFirstAfterMs: 300 });
    // Run until the second session has seen a few route-checked deltas, then close at the "deadline".
    const client = clientUntil(
      { baseUrl: fx.baseUrl, transport: 'polling', clientId: 'k6-poll', durationMs: 0, routes: ROUTES, reconnectDelayMs: 50 },
      (c) => c.connects >= 2 && values('foreign_route_updates').length >= 12,
    );
    runPollingClient(client); // blocks like a k6 VU

    expect(values('connect_success')).toEqual([1, 1]);
    expect(samples.get('session_lost')).toEqual([{ value: 1, tags: { transport: 'polling', reason: 'transport close', class: 'closed' } }]);
    expect(sum('reconnects')).toBe(1);
    expect(values('polling_unexpected_400_rate').length).toBeGreaterThan(5);
    expect(sum('polling_unexpected_400_rate')).toBe(0);
    expect(values('polling_ended_400s')).toEqual([]);
    expect(values('update_latency').length).toBeGreaterThan(5);
    expect(Math.max(...values('update_latency'))).toBeLessThan(1_500);
    expect(values('foreign_route_updates').length).toBeGreaterThan(5);
    expect(sum('foreign_route_updates')).toBe(0);
    expect(values('subscribe_confirmed')).toEqual([1, 1]);
    expect(sum('delta_version_gaps') + sum('invalid_events')).toBe(0);
    expect(checks.filter((c) => c.name === 'subscribe acknowledged ok')).toEqual([
      { name: 'subscribe acknowledged ok', ok: true }, { name: 'subscribe acknowledged ok', ok: true },
    ]);
    expect(client.session?.closeInfo).toMatchObject({ reason: 'client close' });
    const stats = await fx.stats();
    expect(stats.auths.map((a) => a.connects)).toEqual([0, 1]);
    await expect.poll(async () => (await fx.stats()).disconnects).toEqual(['forced close', 'client namespace disconnect']);
  });

  it('counts foreign_route_updates when the server ignores the subscription', async () => {
    const fx = await spawnFixture({ deltaEveryMs: 100, ignoreSubscriptions: true });
    runPollingClient(clientUntil(
      { baseUrl: fx.baseUrl, transport: 'polling', clientId: 'k6-bad', durationMs: 0, routes: ['N'] },
      () => values('foreign_route_updates').length >= 3,
    ));
    expect(sum('foreign_route_updates')).toBeGreaterThan(0);
  });

  /** An opened session whose CONNECT POST is answered 400 Session ID unknown with `headers`. */
  function answer400(headers?: Record<string, string>): { client: LoadClient; next: string } {
    const client = new LoadClient({ baseUrl: 'http://127.0.0.1:1', transport: 'polling', clientId: 'unit', durationMs: 60_000 });
    const s: EioSession = client.newSession();
    const hs = s.handshakeRequest();
    expect(client.handle(s.handleHttpResponse(hs, 200, '0{"sid":"a","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}'))).toBe('continue');
    const post = s.flushRequest()!;
    const next = client.handle(s.handleHttpResponse(post, 400, '{"code":1,"message":"Session ID unknown"}', Date.now(), headers));
    return { client, next };
  }

  it('records a 400 Session ID unknown without x-transit-session (older server) as a failure', () => {
    expect(answer400().next).toBe('reconnect');
    expect(values('polling_unexpected_400_rate')).toEqual([0, 1]);
    expect(values('polling_ended_400s')).toEqual([]);
    expect(samples.get('polling_errors')).toEqual([{ value: 1, tags: { transport: 'polling', class: 'session_unknown', cause: 'none' } }]);
    expect(samples.get('session_lost')?.[0]?.tags).toEqual({ transport: 'polling', reason: 'http error', class: 'session_unknown' });
    expect(values('connect_success')).toEqual([0]);
  });

  it('counts x-transit-session: ended in polling_ended_400s only, never against the thresholds', () => {
    expect(answer400({ 'X-Transit-Session': 'ended' }).next).toBe('reconnect');
    expect(values('polling_ended_400s')).toEqual([1]);
    expect(samples.get('polling_ended_400s')?.[0]?.tags).toEqual({ transport: 'polling' });
    expect(values('polling_unexpected_400_rate')).toEqual([0, 0]);
    expect(samples.get('polling_errors')).toBeUndefined();
    // The session is still lost (the client handshakes again), and says why.
    expect(samples.get('session_lost')?.[0]?.tags).toEqual({ transport: 'polling', reason: 'http error', class: 'session_unknown', cause: 'ended' });
  });

  it.each(['misrouted', 'unknown'] as const)('counts x-transit-session: %s as a failure, tagged with its cause', (cause) => {
    answer400({ 'X-Transit-Session': cause });
    expect(values('polling_unexpected_400_rate')).toEqual([0, 1]);
    expect(values('polling_ended_400s')).toEqual([]);
    expect(samples.get('polling_errors')).toEqual([{ value: 1, tags: { transport: 'polling', class: 'session_unknown', cause } }]);
  });

  it('a session the server ended mid-run: one ended 400, no failure, a reconnect (headers through k6 http)', async () => {
    const fx = await spawnFixture({ deltaEveryMs: 100, endFirstAfterMs: 300 });
    const client = clientUntil(
      { baseUrl: fx.baseUrl, transport: 'polling', clientId: 'k6-ended', durationMs: 0, reconnectDelayMs: 50 },
      (c) => c.connects >= 2 && values('events_received').length >= 10,
    );
    runPollingClient(client);
    expect(sum('polling_ended_400s')).toBe(1);
    expect(sum('polling_unexpected_400_rate')).toBe(0);
    expect(samples.get('polling_errors')).toBeUndefined();
    expect(samples.get('session_lost')).toEqual([{ value: 1, tags: { transport: 'polling', reason: 'http error', class: 'session_unknown', cause: 'ended' } }]);
    expect(sum('reconnects')).toBe(1);
    expect(client.session?.closeInfo).toMatchObject({ reason: 'client close' });
  });
});

describe('k6 websocket driver against socket.io', () => {
  it('connects over EIO websocket, receives deltas, reconnects after the session is dropped, closes', async () => {
    const fx = await spawnFixture({ io: { transports: ['websocket'] }, deltaEveryMs: 100, recycleFirstAfterMs: 300 });
    const client = clientUntil(
      { baseUrl: fx.baseUrl, transport: 'websocket', clientId: 'k6-ws', durationMs: 0, routes: ROUTES, reconnectDelayMs: 50 },
      (c) => c.connects >= 2 && values('foreign_route_updates').length >= 12,
    );
    runWebSocketClient(client);
    await expect.poll(() => client.session?.closeInfo?.reason, { timeout: 25_000 }).toBe('client close');

    expect(values('connect_success')).toEqual([1, 1]);
    expect(sum('session_lost')).toBe(1);
    expect(sum('reconnects')).toBe(1);
    expect(values('polling_unexpected_400_rate')).toEqual([]);
    expect(values('update_latency').length).toBeGreaterThan(5);
    expect(sum('foreign_route_updates')).toBe(0);
    expect(values('subscribe_confirmed')).toEqual([1, 1]);
    expect(checks.every((c) => c.ok)).toBe(true);
    await expect.poll(async () => (await fx.stats()).disconnects.at(-1)).toBe('client namespace disconnect');
    expect((await fx.stats()).auths.map((a) => a.connects)).toEqual([0, 1]);
  });
});

describe('k6-env', () => {
  it('reads BASE_URL/PROFILE/VUS/HOLD, gates setup() on /healthz and writes the summary', async () => {
    const fx = await spawnFixture({});
    Object.assign(globalThis, { __ENV: { BASE_URL: `${fx.baseUrl}/`, PROFILE: 'average', VUS: '10', HOLD: '10m' }, __VU: 3, __ITER: 7 });
    onTestFinished(() => { for (const k of ['__ENV', '__VU', '__ITER']) delete (globalThis as Record<string, unknown>)[k]; });
    const env = await import('../../loadtest/lib/k6-env.ts');
    expect(env.BASE_URL).toBe(fx.baseUrl);
    expect(env.scenarios().average).toMatchObject({
      executor: 'ramping-vus',
      stages: [{ duration: '1m', target: 10 }, { duration: '10m', target: 10 }, { duration: '1m', target: 0 }],
    });
    expect(env.requireHealthy()).toMatchObject({ baseUrl: fx.baseUrl, profile: 'average' });
    expect(() => env.requireHealthy('http://127.0.0.1:1')).toThrow(/healthz is not healthy/);
    expect(env.newLoadClient(fx.baseUrl, 'polling').cfg.clientId).toMatch(/^k6-3-7-/);
    const out = env.summaryFiles({ metrics: { polling_unexpected_400_rate: { type: 'rate', values: { rate: 0, passes: 0, fails: 9 }, thresholds: { 'rate<0.05': { ok: true } } } } }, 'x');
    expect(Object.keys(out).sort()).toEqual(['stdout', 'summary.json']);
    expect(out.stdout).toContain('✓ polling_unexpected_400_rate rate<0.05');
  });
});

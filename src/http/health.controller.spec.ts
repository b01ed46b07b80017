import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigModule } from '../config/config.module.js';
import type { CoordinationState } from '../coordination/coordinator.js';
import { LiveModule } from '../live/live.module.js';
import { listenLoopback, testIdentity, withoutPrimary } from '../live/live.testing.js';
import { SnapshotCache } from '../live/snapshot-cache.js';
import { WorkerState } from '../live/worker-state.js';
import type { FeedStatus } from '../poller/feed-status.js';
import { HttpApiModule } from './http-api.module.js';

const leader: CoordinationState = { kind: 'redis', state: 'leader', reason: null, fence: 4 };
const okFeed = (at: number): FeedStatus => ({ feed: 'simulator', polling: true, state: 'ok', lastSuccessAt: at, lastError: null, consecutiveFailures: 0, calls: 9 });

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** The real HttpApiModule (terminus included) on 127.0.0.1:0, reading a snapshot store and a worker state the test sets. */
async function start() {
  const cache = new SnapshotCache();
  const state = new WorkerState();
  const identity = testIdentity();
  const { builder } = withoutPrimary(Test.createTestingModule({ imports: [ConfigModule.forWorker(identity), LiveModule, HttpApiModule] }));
  app = (await builder.overrideProvider(SnapshotCache).useValue(cache).overrideProvider(WorkerState).useValue(state).compile()).createNestApplication({ logger: false });
  const base = await listenLoopback(app);
  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, body: (await res.json()) as Readiness };
  };
  return { cache, state, get };
}

interface Readiness {
  status: string;
  info: Record<string, Record<string, unknown>>;
  error: Record<string, Record<string, unknown>>;
  details: Record<string, Record<string, unknown>>;
}

/** A worker that serves: fed, told its coordination, not draining. */
async function serving() {
  const s = await start();
  s.cache.setStatus(okFeed(Date.now()));
  s.cache.apply({ version: 8, generatedAt: Date.now(), vehicles: [] });
  s.state.coordination = leader;
  s.state.workers = 3;
  return s;
}

describe('HealthController (HttpApiModule, real HTTP)', () => {
  it('/healthz: 200, the process up with this worker’s id', async () => {
    const { get } = await start();
    expect(await get('/healthz')).toEqual({
      status: 200,
      body: { status: 'ok', info: { process: { status: 'up', worker: 7 } }, error: {}, details: { process: { status: 'up', worker: 7 } } },
    });
  });

  it('/readyz: 200 ok with the worker, the feed, the topology and the coordination when all is well', async () => {
    const { get } = await serving();
    const { status, body } = await get('/readyz');
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.details.worker).toEqual({ status: 'up', id: 7 });
    expect(body.details.feed).toMatchObject({ status: 'up', feed: 'simulator', state: 'ok', polling: true, version: 8, lastError: null, notBefore: null, budget: null });
    expect(body.details.feed!.dataAgeSeconds).toBeLessThan(1);
    expect(body.details.topology).toMatchObject({ status: 'up', workers: 3, fanout: 'primary-ipc', coordination: 'none' });
    expect(body.details.coordination).toEqual({ status: 'up', ...leader });
  });

  it('/readyz: 503 while the worker drains; the other checks still reported', async () => {
    const { get, state } = await serving();
    state.beginDrain({ cause: 'worker_recycled', windowMs: 1000 });
    const { status, body } = await get('/readyz');
    expect(status).toBe(503);
    expect(body.status).toBe('error');
    expect(body.error).toEqual({ worker: { status: 'down', id: 7, message: 'draining' } });
    expect(body.details.feed).toMatchObject({ status: 'up' });
  });

  it('/readyz: 200 degraded while the feed fails (the last snapshot is still served), with the error and when the next call may start', async () => {
    const { get, cache } = await serving();
    const notBefore = Date.now() + 60_000;
    cache.setStatus({ ...okFeed(Date.now() - 5000), state: 'rate_limited', lastError: { failure: 'rate_limited', message: '429', at: Date.now() }, notBefore });
    const { status, body } = await get('/readyz');
    expect(status).toBe(200);
    expect(body.status).toBe('degraded');
    expect(body.details.feed).toMatchObject({ status: 'degraded', state: 'rate_limited', lastError: { failure: 'rate_limited' }, notBefore: new Date(notBefore).toISOString() });
  });

  it('/readyz: before any word from the primary the feed is `never` and the coordination `unknown`, both degraded', async () => {
    const { get } = await start();
    const { status, body } = await get('/readyz');
    expect(status).toBe(200);
    expect(body.status).toBe('degraded');
    expect(body.details.feed).toMatchObject({ status: 'degraded', state: 'never', version: 0, dataAgeSeconds: null });
    expect(body.details.coordination).toEqual({ status: 'degraded', state: 'unknown', reason: 'no word from the primary yet' });
  });

  it('/readyz: degraded while Redis does not answer', async () => {
    const { get, state } = await serving();
    state.coordination = { ...leader, state: 'unreachable', reason: 'ECONNREFUSED' };
    const { status, body } = await get('/readyz');
    expect(status).toBe(200);
    expect(body.details.coordination).toMatchObject({ status: 'degraded', state: 'unreachable', reason: 'ECONNREFUSED' });
  });
});

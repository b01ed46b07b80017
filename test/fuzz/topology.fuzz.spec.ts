import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HARNESS_OVERRIDES, loadProduction } from '../../scripts/predeploy/production.ts';
import { connectClient, sleep, waitFor } from '../support/clients.js';
import { recordFigure } from '../support/figures.js';
import { startTopology, type Topology } from '../support/topology.js';
import { pollingInputs, runPollingInput } from './engine-polling.js';
import { runWsInput, wsInputs } from './engine-websocket.js';
import { rawRequests, sendRawRequest, showRawRequest } from './http-inputs.js';
import { FUZZ_SCALE, FUZZ_SEED, scaled } from './knobs.js';
import { heapUsedMiB, logLevels, readProcesses, troubleIn, type ProcessReading } from './process-health.js';
import { runCategory, type Category } from './run-inputs.js';
import { runSteps } from './sio-steps.js';
import { sioBatches } from './socketio-packets.js';
import { subscribeBatches } from './subscribe-payloads.js';
import { Tally } from './tally.js';
import { runVehiclesQuery, vehiclesQueries } from './vehicles-queries.js';

/**
 * How much a process may grow over the whole fuzz (VmRSS after − VmRSS before, MiB). Nothing
 * the fuzz creates outlives it (every session is closed, every connection ends), so what stays
 * is what V8 and the allocator keep: garbage not yet collected, heap pages not yet returned,
 * malloc arenas of the read buffers (headers up to 80 KiB, frames up to 16 KiB). Measured over
 * 7 runs of 10,319 inputs: workers +37…+45, primary +48…+63 (its V8 heap +38 right after the
 * fuzz, +4 after its next GC). The bound is 1.5 × the worst of those: allocator noise passes,
 * a leak of more than ~10 KiB per input (a buffered packet, a session's state) does not.
 */
export const RSS_GROWTH_BOUND_MIB = 96;

/** Upper bound of one category's run (a hang costs its input 3 s, not the suite). */
const CATEGORY_TIMEOUT_MS = 120_000;

/** The production command and environment (deploy/production.json), on loopback and ephemeral ports. */
function productionEnv(): Record<string, string> {
  return { ...loadProduction().env, ...HARNESS_OVERRIDES, FEED: 'simulator' };
}

describe('fuzz: malformed input against the production topology', () => {
  let app: Topology;
  let port: number;
  const tally = new Tally();
  let before: ProcessReading;
  let heapBefore: Record<string, number> = {};
  let workerPids: number[];
  let logMark = 0;
  const started = Date.now();

  beforeAll(async () => {
    app = await startTopology(productionEnv());
    port = app.port;
    // Warm up with ordinary traffic (JIT, the first snapshot, pools) before the baseline.
    const client = connectClient(app.base, { transports: ['websocket'] });
    await waitFor(() => client.snapshots >= 1, 20_000, 'a snapshot for the warm-up client');
    client.close();
    for (let i = 0; i < 20; i++) await (await fetch(`${app.base}/api/vehicles`)).text();
    await sleep(1_000);
    before = readProcesses(app);
    heapBefore = await heapUsedMiB(app.metricsPort);
    workerPids = before.workers.map((w) => w.pid);
    logMark = app.logs.length;
  });
  afterAll(async () => {
    await app?.stop();
  });

  const seconds: Record<string, number> = {};
  const run = async <T>(c: Category<T>) => {
    const t0 = Date.now();
    await runCategory(tally, c);
    seconds[c.name] = (Date.now() - t0) / 1000;
    expect(tally.failures.filter((f) => f.category === c.name).slice(0, 20)).toEqual([]);
  };

  it('has 2 workers, as in production', () => {
    expect(workerPids).toHaveLength(2);
  });

  it('HTTP request lines and headers over raw TCP: each refused 4xx', () =>
    run({ name: 'http (raw tcp)', arbitrary: rawRequests, count: scaled(4_000), width: 16, run: (r) => sendRawRequest(port, r), show: showRawRequest }), CATEGORY_TIMEOUT_MS);

  it('Engine.IO over long-polling: bad queries get their error code, bad payloads close the session', () =>
    run({ name: 'engine.io polling', arbitrary: pollingInputs, count: scaled(1_700), width: 12, run: (i) => runPollingInput(port, i) }), CATEGORY_TIMEOUT_MS);

  it('Engine.IO over websocket: bad packets and frames close the socket, bad upgrades are refused', () =>
    run({ name: 'engine.io websocket', arbitrary: wsInputs, count: scaled(800), width: 12, run: (i) => runWsInput(port, i) }), CATEGORY_TIMEOUT_MS);

  it('Socket.IO packets: namespaces, ack ids, binary attachments', () =>
    run({ name: 'socket.io packets', arbitrary: sioBatches, count: scaled(260), width: 8, run: (steps) => runSteps(port, steps) }), CATEGORY_TIMEOUT_MS);

  it('subscribe payloads: each answered by an ack that says what is wrong', () =>
    run({ name: 'subscribe payloads', arbitrary: subscribeBatches, count: scaled(280), width: 8, run: (steps) => runSteps(port, steps) }), CATEGORY_TIMEOUT_MS);

  it('/api/vehicles queries: each 400 with the parser message', () =>
    run({ name: '/api/vehicles', arbitrary: vehiclesQueries, count: scaled(1_500), width: 16, run: (q) => runVehiclesQuery(port, q) }), CATEGORY_TIMEOUT_MS);

  it('no process crashed or leaked: same pids, no worker exit, RSS within bound', async () => {
    await sleep(2_000);
    const after = readProcesses(app);
    const runtimeS = Math.round((Date.now() - started) / 100) / 10;
    process.stdout.write(`\nfuzz (seed ${FUZZ_SEED}, scale ${FUZZ_SCALE}): inputs by category and refusal reason\n${tally.table()}\n`);
    const rss = {
      primary: { before: before.primary.rssMiB, after: after.primary.rssMiB },
      workers: before.workers.map((w, i) => ({ pid: w.pid, before: w.rssMiB, after: after.workers.find((a) => a.pid === w.pid)?.rssMiB ?? null, index: i })),
    };
    recordFigure('fuzz: production topology', { seed: FUZZ_SEED, scale: FUZZ_SCALE, inputs: tally.total(), runtimeS, seconds, rss, heapUsedMiB: { before: heapBefore, after: await heapUsedMiB(app.metricsPort) }, logLines: logLevels(app, logMark), byReason: tally.toJSON() });
    expect(troubleIn(app, logMark)).toEqual([]);
    expect(app.proc.exitCode).toBeNull();
    expect(after.primary.pid).toBe(before.primary.pid);
    expect(after.workers.map((w) => w.pid)).toEqual(workerPids);
    for (const p of [rss.primary, ...rss.workers]) {
      expect(p.after).not.toBeNull();
      expect(p.after! - p.before!).toBeLessThan(RSS_GROWTH_BOUND_MIB);
    }
    expect(tally.total()).toBeGreaterThanOrEqual(scaled(10_000));
    // Still serving: a real client gets its snapshot.
    const client = connectClient(app.base, { transports: ['polling'] });
    await waitFor(() => client.snapshots >= 1, 10_000, 'a snapshot after the fuzz');
    client.close();
  });
});

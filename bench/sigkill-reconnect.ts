#!/usr/bin/env node
/**
 * `npm run bench:sigkill` (or `node bench/sigkill-reconnect.ts [--runs 20] [--clients 30]`
 * after `npm run build`): runs the scenario of the test "SIGKILL of a worker mid-run"
 * (test/topology.e2e.spec.ts) many times in a row and prints how slow the slowest reconnect
 * of each run was. A benchmark, not a gate: the exit code is 0 whatever it measured (2 for a
 * bad option, 1 if the script itself crashed); runs whose slowest reconnect exceeds 3 s are
 * named on a "FAIL:" line.
 *
 * Each run, bounded by 30 s: the production command (`node dist/main.js`, 2 workers, the
 * test's settings) on 127.0.0.1; polling clients through the tests' counting proxies; once
 * every client has its snapshot and 2 s have passed (as in the test), SIGKILL worker 1. For
 * every client that was on worker 1: the time from the kill to its first `vehicles:snapshot`
 * after it reconnected. Then 2 s more for late 400s, and the topology is stopped.
 */
import { existsSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { percentile } from '../scripts/predeploy/analysis.ts';
import type { TrackedClient } from '../test/support/clients.ts';
import type { Fleet } from '../test/support/fleet-run.ts';
import type { Topology } from '../test/support/topology.ts';

// The test helpers are written for vitest, which resolves `./clients.js` to `./clients.ts`.
// Node does not, so teach it the same rule (relative `.js` imports from `.ts` files only,
// and only when the `.js` file does not exist), then load the helpers.
registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND';
      if (!missing || !specifier.startsWith('.') || !specifier.endsWith('.js') || !context.parentURL?.endsWith('.ts')) throw error;
      return nextResolve(`${specifier.slice(0, -'.js'.length)}.ts`, context);
    }
  },
});
const { sleep, waitFor } = await import('../test/support/clients.ts');
const { startFleet } = await import('../test/support/fleet-run.ts');
const { MAIN, startTopology } = await import('../test/support/topology.ts');

/** The test's settings (its `BUSY`, with 2 workers); startTopology adds TEST_ENV (loopback, ephemeral ports). */
const ENV = { POLL_INTERVAL_MS: '200', PING_INTERVAL_MS: '1000', PING_TIMEOUT_MS: '5000', DEMAND_GRACE_MS: '500', WEB_CONCURRENCY: '2' };
const KILLED_WORKER = 1;
const RUN_TIMEOUT_MS = 30_000;
/** The test waits this long after every client has its snapshot before the kill… */
const SETTLE_MS = 2_000;
/** …and this long after the fresh snapshots before it counts the 400s. */
const AFTER_MS = 2_000;
const BUDGET_MS = 3_000;

const USAGE = `Usage: node bench/sigkill-reconnect.ts [--runs 20] [--clients 30]   (after npm run build)
       npm run bench:sigkill -- [--runs 20] [--clients 30]

  --runs N      runs in a row (default 20)            BENCH_SIGKILL_RUNS
  --clients N   socket.io clients per run (default 30)  BENCH_SIGKILL_CLIENTS
A flag wins over its variable.`;

class UsageError extends Error {}

function parseOptions(argv: string[], env: NodeJS.ProcessEnv): { runs: number; clients: number; help: boolean } {
  const raw: Record<string, string | undefined> = { runs: env.BENCH_SIGKILL_RUNS, clients: env.BENCH_SIGKILL_CLIENTS };
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    const m = /^--(runs|clients)(?:=(.*))?$/.exec(arg);
    if (!m) throw new UsageError(`unknown argument ${arg}`);
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${m[1]} needs a value`);
    raw[m[1]!] = value;
  }
  const int = (name: string, value: string | undefined, fallback: number): number => {
    if (value === undefined || value === '') return fallback;
    if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--${name} must be a whole number ≥ 1, got "${value}"`);
    return Number(value);
  };
  return { runs: int('runs', raw.runs, 20), clients: int('clients', raw.clients, 30), help };
}

interface RunResult {
  run: number;
  status: 'ok' | 'timeout' | 'error';
  /** What the run was doing when it timed out or failed. */
  detail?: string;
  victims: number;
  /** Kill → fresh snapshot, per victim that got one. */
  snapshotMs: number[];
  /** Kill → socket.io `connect`, per victim that reconnected. */
  connectMs: number[];
  medianMs: number | null;
  maxMs: number | null;
  /** Every 400 the counting proxies saw (whatever its cause). */
  bad400: number;
  /** Of those, what the fleet calls a defect (`fleet.bad()`). */
  defect400: number;
  polls: number;
  /** Set once the kill was sent. */
  killed: boolean;
  diagnosis: string[];
}

/** The topology and fleet of the run in progress, so a signal can stop them. */
const current: { app?: Topology; fleet?: Fleet } = {};

async function runOnce(run: number, clients: number): Promise<RunResult> {
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  const left = () => Math.max(0, deadline - Date.now());
  const result: RunResult = { run, status: 'ok', victims: 0, snapshotMs: [], connectMs: [], medianMs: null, maxMs: null, bad400: 0, defect400: 0, polls: 0, killed: false, diagnosis: [] };
  let stage = 'starting the topology';
  let app: Topology | undefined;
  let fleet: Fleet | undefined;
  let victims: TrackedClient[] = [];
  let killedAt = 0;
  const snapshotTimes = new Map<TrackedClient, number[]>();
  const errorsBefore = new Map<TrackedClient, number>();
  /** Each client's first disconnect reason after the kill ("transport error", "ping timeout", …). */
  const disconnectReasons = new Map<TrackedClient, string>();
  const reconnectAt = (c: TrackedClient) => c.connectedAt.find((t) => t > killedAt);
  const freshSnapshotAt = (c: TrackedClient) => {
    const connected = reconnectAt(c);
    return connected === undefined ? undefined : snapshotTimes.get(c)!.find((t) => t >= connected);
  };
  try {
    app = current.app = await startTopology(ENV, left());
    stage = 'connecting the clients';
    fleet = current.fleet = await startFleet(app, clients, { settle: false });
    for (const c of fleet.clients) {
      const times: number[] = [];
      snapshotTimes.set(c, times);
      c.socket.on('vehicles:snapshot', () => times.push(Date.now()));
      c.socket.on('disconnect', (reason) => {
        if (killedAt > 0 && !disconnectReasons.has(c)) disconnectReasons.set(c, reason);
      });
    }
    await waitFor(() => fleet!.clients.every((c) => c.snapshots >= 1), left(), `all ${clients} clients have a snapshot`);
    stage = 'settling before the kill';
    await sleep(Math.min(SETTLE_MS, left()));
    if (left() === 0) throw new Error('run timed out');
    victims = fleet.clients.filter((c) => c.worker() === KILLED_WORKER);
    result.victims = victims.length;
    const pid = app.workerPid(KILLED_WORKER);
    if (pid === undefined) throw new Error(`no pid logged for worker ${KILLED_WORKER}`);
    if (victims.length === 0) throw new Error(`no client is on worker ${KILLED_WORKER}`);
    for (const c of victims) errorsBefore.set(c, c.errors.length);
    stage = 'waiting for the killed worker’s clients to get a fresh snapshot';
    killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    result.killed = true;
    await waitFor(() => victims.every((c) => freshSnapshotAt(c) !== undefined), left(), 'fresh snapshots');
    stage = 'watching for late 400s';
    await sleep(Math.min(AFTER_MS, left()));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const timedOut = left() === 0 || /timed out|did not start within/.test(message);
    result.status = timedOut ? 'timeout' : 'error';
    result.detail = timedOut ? `while ${stage}` : `while ${stage}: ${message.split('\n')[0]}`;
  }
  for (const c of victims) {
    const connected = reconnectAt(c);
    const snap = freshSnapshotAt(c);
    if (connected !== undefined) result.connectMs.push(connected - killedAt);
    if (snap !== undefined) result.snapshotMs.push(snap - killedAt);
  }
  if (result.status === 'timeout' && result.killed) {
    result.detail += `: ${victims.length - result.snapshotMs.length} of ${victims.length} never got one`;
  }
  result.medianMs = percentile(result.snapshotMs, 50);
  result.maxMs = result.snapshotMs.length > 0 ? Math.max(...result.snapshotMs) : null;
  result.bad400 = fleet ? (fleet.pooled.counts.byStatus['400'] ?? 0) + (fleet.fresh.counts.byStatus['400'] ?? 0) : 0;
  result.defect400 = fleet?.bad() ?? 0;
  result.polls = fleet?.polls() ?? 0;
  if (app && result.killed && (result.status !== 'ok' || (result.maxMs ?? 0) > BUDGET_MS)) {
    result.diagnosis = diagnose(app, fleet!, victims, killedAt, { reconnectAt, freshSnapshotAt, errorsBefore, disconnectReasons });
  }
  try {
    await fleet?.close();
  } finally {
    current.fleet = undefined;
    await app?.stop();
    current.app = undefined;
  }
  return result;
}

/** What a run knows of each victim after the kill. */
interface VictimView {
  reconnectAt: (c: TrackedClient) => number | undefined;
  freshSnapshotAt: (c: TrackedClient) => number | undefined;
  /** Connect errors the client saw before the kill (to show only the later ones). */
  errorsBefore: Map<TrackedClient, number>;
  disconnectReasons: Map<TrackedClient, string>;
}

/** Why a run was slow: the slowest victims' timelines and what the service logged after the kill. */
function diagnose(app: Topology, fleet: Fleet, victims: TrackedClient[], killedAt: number, view: VictimView): string[] {
  const rel = (t: number | undefined) => (t === undefined ? 'never' : `+${t - killedAt} ms`);
  const via = (c: TrackedClient) => (fleet.clients.indexOf(c) % 2 === 0 ? 'pooled' : 'per-request'); // startFleet alternates
  const lines: string[] = [];
  const late = victims.filter((c) => {
    const snap = view.freshSnapshotAt(c);
    return snap === undefined || snap - killedAt > BUDGET_MS;
  });
  const lateFresh = late.filter((c) => via(c) === 'per-request').length;
  lines.push(
    `over 3 s: ${late.length} of ${victims.length} (${lateFresh} via the per-request proxy, ${late.length - lateFresh} via the pooled one); ` +
      `disconnect reasons: ${summarize(victims.map((c) => view.disconnectReasons.get(c) ?? 'no disconnect'))}`,
  );
  const slowest = victims
    .map((c) => ({ c, connected: view.reconnectAt(c), snap: view.freshSnapshotAt(c) }))
    .sort((a, b) => (b.snap ?? Infinity) - (a.snap ?? Infinity))
    .slice(0, 3);
  for (const { c, connected, snap } of slowest) {
    const disconnected = c.disconnectedAt.find((t) => t >= killedAt);
    const errors = c.errors.slice(view.errorsBefore.get(c) ?? 0);
    lines.push(
      `${c.clientId} (${via(c)} proxy): disconnect ${rel(disconnected)}${disconnected !== undefined ? ` "${view.disconnectReasons.get(c) ?? '?'}"` : ''}, connect ${rel(connected)} (now on worker ${c.worker() ?? '?'}), ` +
        `snapshot ${rel(snap)}; ${errors.length} connect error(s) since the kill${errors.length ? `: ${summarize(errors)}` : ''}`,
    );
  }
  // pino lines: `time` is an ISO string (or epoch ms); Nest's boot chatter carries `context`.
  const timeOf = (l: Record<string, unknown>) => (typeof l.time === 'number' ? l.time : typeof l.time === 'string' ? Date.parse(l.time) : NaN);
  const events = app.logs.filter((l) => {
    const warn = typeof l.level === 'number' && l.level >= 40;
    const notable = warn || l.event !== undefined || (l.role === 'primary' && l.context === undefined);
    return notable && timeOf(l) >= killedAt - 200;
  });
  // One line per kind of event (same process, event and message), with its count and time span.
  const groups = new Map<string, { first: number; last: number; n: number; text: string }>();
  for (const l of events) {
    const { time: _time, level, msg, event, role, worker, pid: _pid, hostname: _hostname, ...rest } = l;
    const who = `${String(role ?? '?')}${worker !== undefined ? ` w${String(worker)}` : ''}`;
    const head = `[${who}] level ${String(level)} ${event !== undefined ? `${String(event)}: ` : ''}${String(msg ?? '')}`;
    const extra = Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
      .join(' ');
    const t = timeOf(l);
    const g = groups.get(head);
    if (g) {
      g.n += 1;
      g.last = t;
    } else groups.set(head, { first: t, last: t, n: 1, text: `${head} ${extra}`.trimEnd() });
  }
  const shown = [...groups.entries()].slice(0, 12);
  for (const [head, g] of shown) {
    const span = g.n === 1 ? rel(g.first) : `+${g.first - killedAt}…${g.last - killedAt} ms`;
    lines.push(`log ${span} ${g.n === 1 ? g.text : `${head} (${g.n}×)`}`);
  }
  if (groups.size > shown.length) lines.push(`… ${groups.size - shown.length} more kinds of log line after the kill`);
  const bodies = fleet.badSamples();
  if (bodies.length > 0) lines.push(`400/5xx answers: ${summarize(bodies)}`);
  return lines;
}

function summarize(items: string[]): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts]
    .slice(0, 4)
    .map(([item, n]) => (n > 1 ? `${n} × ${item}` : item))
    .join('; ');
}

const fmt = (ms: number | null) => (ms === null ? '-' : String(ms));

function table(results: RunResult[]): string {
  const rows = [
    ['run', 'clients on killed worker', 'median ms', 'max ms', '400s', 'status'],
    ...results.map((r) => [String(r.run), String(r.victims), fmt(r.medianMs), fmt(r.maxMs), String(r.bad400), r.status === 'ok' ? 'ok' : `${r.status} ${r.detail ?? ''}`]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padStart(widths[i]!))).join('  ')).join('\n');
}

async function main(): Promise<number> {
  let opts;
  try {
    opts = parseOptions(process.argv.slice(2), process.env);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`bench:sigkill: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!existsSync(MAIN)) {
    process.stderr.write(`bench:sigkill: ${MAIN} is missing: run "npm run build" first (npm run bench:sigkill does)\n`);
    return 2;
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping the topology of the run in progress\n`);
      void Promise.allSettled([current.fleet?.close(), current.app?.stop()]).then(() => process.exit(130));
    });
  }
  const { runs, clients } = opts;
  process.stdout.write(
    `SIGKILL of worker ${KILLED_WORKER} of 2: ${runs} run(s) × ${clients} polling clients, kill ${SETTLE_MS} ms after every client has its snapshot; ` +
      `time from the kill to each of its clients' next vehicles:snapshot; ${RUN_TIMEOUT_MS / 1000} s per run at most\n`,
  );
  const results: RunResult[] = [];
  const started = Date.now();
  for (let run = 1; run <= runs; run++) {
    const r = await runOnce(run, clients);
    results.push(r);
    const over = r.status === 'ok' && (r.maxMs ?? 0) > BUDGET_MS ? '  OVER 3 s' : '';
    process.stdout.write(
      `run ${run}/${runs}: ${r.status}${r.detail ? ` (${r.detail})` : ''}, ${r.victims} on worker ${KILLED_WORKER}, ` +
        `snapshot median ${fmt(r.medianMs)} ms max ${fmt(r.maxMs)} ms (connect max ${fmt(r.connectMs.length ? Math.max(...r.connectMs) : null)} ms), ` +
        `${r.bad400} × 400 (${r.defect400} defects) of ${r.polls} polls${over}\n`,
    );
    for (const line of r.diagnosis) process.stdout.write(`    ${line}\n`);
  }

  const measured = results.filter((r) => r.status === 'ok' && r.maxMs !== null);
  const maxima = measured.map((r) => r.maxMs!);
  const timeouts = results.filter((r) => r.status === 'timeout');
  const errors = results.filter((r) => r.status === 'error');
  // A run that timed out after the kill had a reconnect slower than 3 s by definition.
  const over = results.filter((r) => (r.status === 'ok' && (r.maxMs ?? 0) > BUDGET_MS) || (r.status === 'timeout' && r.killed));
  process.stdout.write(`\n${table(results)}\n\n`);
  process.stdout.write(
    `summary over ${measured.length} measured run(s) of ${runs} (${timeouts.length} timeout(s), ${errors.length} error(s), ${Math.round((Date.now() - started) / 1000)} s): ` +
      `slowest reconnect per run p50 ${fmt(percentile(maxima, 50))} ms, p90 ${fmt(percentile(maxima, 90))} ms, max ${fmt(maxima.length ? Math.max(...maxima) : null)} ms; ` +
      `runs with max > ${BUDGET_MS} ms: ${over.length}; 400s: ${results.reduce((n, r) => n + r.bad400, 0)} ` +
      `(defects: ${results.reduce((n, r) => n + r.defect400, 0)})\n`,
  );
  if (over.length > 0) process.stdout.write(`FAIL: ${over.length} runs over 3 s (run ${over.map((r) => r.run).join(', ')})\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    process.stderr.write(`bench:sigkill crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    await Promise.allSettled([current.fleet?.close(), current.app?.stop()]);
    process.exit(1);
  },
);

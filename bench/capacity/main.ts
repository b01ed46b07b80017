#!/usr/bin/env node
/**
 * `npm run bench:capacity`: how many clients the service holds against plain Socket.IO
 * (socket.io + @socket.io/sticky + cluster-adapter, `reference-server.ts`), in one run on
 * this machine. For each client kind it ramps N, and at each N runs the service and then the
 * reference, each freshly started, until both fail to hold N (p95 fan-out spread > 1 s, or
 * under 90 % of clients connected; connect losses are reported beside it). Prints a row per run and the ratios the capacity issue
 * asks for; writes everything to artifacts/capacity-<time>.json. A benchmark, not a gate:
 * exit 0 whatever it measured.
 *
 * Options: --kinds websocket,polling-keepalive,polling-xhr   --targets service,reference
 *           --window 25 (s)   --warm 25 (s)   --generators 2   --repeat 1
 *          --steps-websocket 1000,2000,…   --steps-polling-keepalive …   --steps-polling-xhr …
 *          --quick (a smoke run: two small steps per kind, 5 s windows, 3 s warm-up)
 *
 * `--repeat K` runs every step K times per target, alternating service and reference: a
 * target holds N if most of its runs did, and the ratios are of medians (an odd K avoids ties,
 * which count as not held). One run of this machine moves a verdict by a step; use 3 for figures
 * that go in the docs.
 *
 * Both defaults are one heartbeat interval (pingInterval 25 s on both servers). A window of one
 * interval counts every client's ping and pong exactly once on both targets: connects arrive in
 * a burst of a few seconds, so their heartbeats recur in bursts, and a shorter window held a
 * burst on one target and none on the other. The warm-up lets V8 finish growing each worker's
 * new space after the connect burst (its page commits are minor faults: kernel time that a
 * window right after the ramp charged to whichever server was still growing).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { numberArg, stringArg } from '../args.ts';
import type { ClientKind } from './generator.ts';
import { formatRow, HEADER, stepFigures, summary } from './report.ts';
import { runStep, type StepResult } from './step.ts';
import { formatIdle, measureIdle, type IdleResult } from './idle.ts';
import { SERVICE_OVERRIDES, startReference, startService, type Target } from './targets.ts';

const quick = process.argv.includes('--quick');
const KINDS = (stringArg('kinds') ?? 'websocket,polling-keepalive,polling-xhr').split(',') as ClientKind[];
for (const k of KINDS) {
  if (!['websocket', 'polling-keepalive', 'polling-xhr'].includes(k)) {
    process.stderr.write(`--kinds: unknown client kind ${JSON.stringify(k)} (websocket, polling-keepalive, polling-xhr)\n`);
    process.exit(2);
  }
}
const DEFAULT_STEPS: Record<ClientKind, number[]> = {
  websocket: [1000, 2000, 4000, 8000, 12000, 16000],
  'polling-keepalive': [500, 1000, 2000, 3000, 4000, 6000, 8000],
  'polling-xhr': [500, 1000, 1500, 2000, 3000, 4000],
};
const steps = (k: ClientKind) => (quick ? [100, 300] : (stringArg(`steps-${k}`)?.split(',').map(Number) ?? DEFAULT_STEPS[k]));
const WINDOW_S = quick ? 5 : numberArg('window', 25);
const WARM_S = quick ? 3 : numberArg('warm', 25);
const GENERATORS = numberArg('generators', 2);
const REPEAT = Math.max(1, Math.floor(numberArg('repeat', 1)));
const TARGETS = (stringArg('targets') ?? 'service,reference').split(',').filter((t): t is Target['name'] => t === 'service' || t === 'reference');

const starters: Record<Target['name'], () => Promise<Target>> = { service: startService, reference: startReference };
const results: StepResult[] = [];
const started = new Date();
console.log(`capacity: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${started.toISOString()}`);
console.log(`service: node dist/main.js with deploy/production.json + ${JSON.stringify(SERVICE_OVERRIDES)}`);
console.log(`reference: bench/capacity/reference-server.ts (socket.io 4.8.4, @socket.io/sticky 2.0.1, cluster-adapter 0.3.0, 2 workers)`);
console.log(`window ${WINDOW_S} s per step after a ${WARM_S}-s warm-up, ${GENERATORS} generator processes${REPEAT > 1 ? `, each step ${REPEAT} times per target (alternating; verdicts by majority, figures by median)` : ''}\n`);
const idle: IdleResult[] = [];
for (const name of TARGETS) {
  const target = await starters[name]();
  try {
    idle.push(await measureIdle(target, quick ? 5 : 10));
    console.log(formatIdle(idle.at(-1)!));
  } finally {
    await target.stop();
  }
}
console.log('');
console.log(HEADER);

for (const kind of KINDS) {
  const stillHolding = new Set<Target['name']>(TARGETS);
  for (const clients of steps(kind)) {
    const runsAt: StepResult[] = [];
    // Alternating (service, reference, service, …): slow drifts of this machine hit both alike.
    for (let run = 0; run < REPEAT; run++) {
      for (const name of ['service', 'reference'] as const) {
        if (!stillHolding.has(name)) continue;
        const target = await starters[name]();
        try {
          const r = await runStep(target, { kind, clients, windowS: WINDOW_S, settleMs: WARM_S * 1000, generators: GENERATORS });
          runsAt.push(r);
          console.log(formatRow(r));
        } finally {
          await target.stop();
        }
      }
    }
    results.push(...runsAt);
    for (const step of stepFigures(runsAt)) if (!step.held) stillHolding.delete(step.target);
    if (stillHolding.size === 0) break;
  }
}

console.log(`\n${summary(results).join('\n')}`);
const out = path.resolve(import.meta.dirname, '../../artifacts', `capacity-${started.toISOString().replace(/[:.]/g, '-')}.json`);
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ started: started.toISOString(), node: process.version, cpus: os.cpus().length, overrides: SERVICE_OVERRIDES, windowS: WINDOW_S, warmS: WARM_S, repeat: REPEAT, idle, steps: stepFigures(results), results }, null, 2));
console.log(`\nwrote ${path.relative(process.cwd(), out)}`);

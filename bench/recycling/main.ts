#!/usr/bin/env node
/**
 * `npm run bench:recycling`: the scenario at the production settings — 560 polling
 * clients on `node dist/main.js` with deploy/production.json for 5 minutes, sessions lasting
 * 10 minutes on average (so visitors keep arriving) — counting recycles, sessions lost to
 * recycling and every 400, next to what the README arithmetic (predict.ts) says for the same
 * load, and what request counting (MAX_REQUESTS=1000 as it was) would have done. A benchmark,
 * not a gate: prints its figures and exits 0.
 *
 * Options: --clients 560  --duration 300 (s)  --session-minutes 10
 */
import os from 'node:os';
import { numberArg } from '../args.ts';
import { loadProduction } from '../../scripts/predeploy/production.ts';
import { requestCountingState, runBound, steadyState, type RecyclingLoad, type RecyclingSettings } from './predict.ts';
import { bad400s, runRecyclingSoak } from './soak.ts';

const CLIENTS = numberArg('clients', 560);
const DURATION_S = numberArg('duration', 300);
const SESSION_MIN = numberArg('session-minutes', 10);

const { PORT: _p, HOST: _h, METRICS_PORT: _m, METRICS_HOST: _mh, ...production } = loadProduction().env;
/** All simulated clients share 127.0.0.1; in production each visitor has its own address. */
const ONE_ADDRESS = { HANDSHAKES_PER_MINUTE_PER_IP: '0' };
const env: Record<string, string> = { ...production, ...ONE_ADDRESS };
const int = (k: string) => Number(env[k] ?? 0);
const settings: RecyclingSettings = {
  maxSessions: int('MAX_SESSIONS_PER_WORKER'),
  jitter: int('MAX_SESSIONS_JITTER'),
  minLifetimeMs: int('MIN_WORKER_LIFETIME_MS'),
  drainWindowMs: int('DRAIN_WINDOW_MS'),
};
const workers = int('WEB_CONCURRENCY');

console.log(`recycling soak: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${new Date().toISOString()}`);
console.log(`service: node dist/main.js with deploy/production.json (${workers} workers, MAX_SESSIONS_PER_WORKER=${settings.maxSessions} + ${settings.jitter}, MAX_WORKER_RSS_MB=${env.MAX_WORKER_RSS_MB}, MIN_WORKER_LIFETIME_MS=${settings.minLifetimeMs}, DRAIN_WINDOW_MS=${settings.drainWindowMs})`);
console.log(`overrides: ${JSON.stringify(ONE_ADDRESS)}; loopback, ephemeral ports`);
console.log(`clients: ${CLIENTS} polling (fetch-based Engine.IO poller), ${DURATION_S} s, mean session ${SESSION_MIN} min\n`);

const f = await runRecyclingSoak({
  env,
  clients: CLIENTS,
  durationMs: DURATION_S * 1000,
  meanSessionMs: SESSION_MIN * 60_000,
  rampMs: 20_000,
  progress: (line) => console.log(`  ${line}`),
});

const measured: RecyclingLoad = { clients: CLIENTS, workers, requestsPerClientPerSec: f.requestsPerClientPerSec, newSessionsPerSec: f.arrivals / f.durationS };
const bound = runBound(measured, settings, f.durationS * 1000);
const steady = steadyState(measured, settings);
const legacy = requestCountingState(measured, 1000, 50);
const rows: [string, string | number][] = [
  ['requests / client / s (measured)', f.requestsPerClientPerSec.toFixed(3)],
  ['requests / worker / s', steady.requestsPerWorkerPerSec.toFixed(1)],
  ['new sessions / s (arrivals, measured)', measured.newSessionsPerSec.toFixed(3)],
  ['new sessions / worker / day (projected)', Math.round(steady.newSessionsPerWorkerPerDay)],
  ['handshakes connected', f.connects],
  ['recycles wanted / begun', `${f.timeline.wanted} / ${f.timeline.recycles.length}`],
  ['recycles predicted (at most, this run)', bound.recycles],
  ['recycles at once (max)', f.timeline.maxConcurrent],
  ['sessions lost to recycling (metric)', f.sessionsLostToRecycling],
  ['sessions lost predicted (at most)', bound.sessionsLost],
  ['client sessions lost (any cause)', f.clientSessionsLost],
  ['400 defects (misrouted/unknown/other)', bad400s(f)],
  ['400 ended (protocol answer)', f.byCause.ended ?? 0],
  ['connect failures', f.connectFailures],
  ['worker RSS MiB (min–max)', `${f.workerRssMiB.min}–${f.workerRssMiB.max}`],
  ['primary RSS MiB (max)', f.primaryRssMiB],
  ['steady: recycles / hour', steady.recyclesPerHour.toFixed(3)],
  ['steady: hours per worker life', steady.hoursPerWorkerLife.toFixed(1)],
  ['steady: sessions lost / hour', steady.sessionsLostPerHour.toFixed(1)],
  ['steady: reconnects / s during a drain', steady.reconnectsPerSecDuringDrain.toFixed(1)],
  ['MAX_REQUESTS=1000 would: s per worker life', legacy.secondsPerWorkerLife.toFixed(1)],
  ['MAX_REQUESTS=1000 would: recycles in this run', Math.round((legacy.recyclesPerHour * f.durationS) / 3600)],
  ['MAX_REQUESTS=1000 would: sessions lost / hour', Math.round(legacy.sessionsLostPerHour)],
];
console.log('');
for (const [k, v] of rows) console.log(`${k.padEnd(48)} ${v}`);
console.log(`\npolling answers by class: ${JSON.stringify(f.byClass)}`);
console.log(`server-side disconnects by reason: ${JSON.stringify(f.serverDisconnects)}`);
console.log(`load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (other work on this machine shows here)`);
const within = f.timeline.recycles.length <= bound.recycles && f.sessionsLostToRecycling <= bound.sessionsLost;
console.log(within ? 'within the prediction.' : 'OUTSIDE the prediction: see the figures above.');

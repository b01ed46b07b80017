#!/usr/bin/env node
/**
 * `npm run bench:ws-connect` (or `node bench/ws-connect.ts [--clients 4000] [--rate 400]` after
 * `npm run build`): opens N socket.io-client 4.8 websocket clients (no polling, no upgrade)
 * against the production command (`node dist/main.js`, 2 workers, defaults) on 127.0.0.1,
 * `rate` new clients a second, and reports how many connected, how long CONNECT took
 * (p50/p99/max), and how many never connected within 30 s: the lost-first-frame defect of a
 * hand-off that keeps reading. A benchmark, not a gate: exit 0 whatever it measured.
 */
import { io, type Socket } from 'socket.io-client';
import { percentile } from '../scripts/predeploy/analysis.ts';
import { numberArg } from './args.ts';
import { startTopology } from '../test/support/topology.ts';

const N = numberArg('clients', 4000);
const RATE = numberArg('rate', 400);
const WAIT_MS = 30_000;

// 4,000 clients from 127.0.0.1: no per-address caps or limits.
const app = await startTopology({ WEB_CONCURRENCY: '2', MAX_CONNECTIONS_PER_IP: '0', HANDSHAKES_PER_MINUTE_PER_IP: '0' });
const sockets: Socket[] = [];
const connectMs: number[] = [];
const errors = new Map<string, number>();
const started = Date.now();
try {
  for (let i = 0; i < N; i++) {
    const t0 = Date.now();
    const s = io(app.base, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: WAIT_MS });
    s.once('connect', () => connectMs.push(Date.now() - t0));
    s.once('connect_error', (e) => errors.set(e.message, (errors.get(e.message) ?? 0) + 1));
    sockets.push(s);
    if (i % Math.max(1, Math.floor(RATE / 10)) === 0) await new Promise((r) => setTimeout(r, 100));
  }
  const deadline = Date.now() + WAIT_MS;
  while (connectMs.length + [...errors.values()].reduce((a, b) => a + b, 0) < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  const sorted = [...connectMs].sort((a, b) => a - b);
  const never = N - connectMs.length;
  console.log(`websocket clients: ${N} at ${RATE}/s against node dist/main.js (2 workers) — ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`connected: ${connectMs.length}   never connected within ${WAIT_MS / 1000} s: ${never} (${((100 * never) / N).toFixed(2)} %)`);
  console.log(`CONNECT time ms: p50 ${percentile(sorted, 50)}  p99 ${percentile(sorted, 99)}  max ${sorted.at(-1) ?? '-'}`);
  if (errors.size > 0) console.log(`connect errors: ${JSON.stringify(Object.fromEntries(errors))}`);
} finally {
  for (const s of sockets) s.close();
  await app.stop();
}

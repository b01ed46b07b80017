#!/usr/bin/env node
/**
 * `npm run bench:fanout` (or `node bench/fanout.ts [--clients 2000] [--rounds 30]`): the cost of
 * fanning one delta (20 vehicles, ~2 KB) out to N websocket clients of one socket.io server, as
 * the worker's `Broadcaster` does it (one broadcast per group: encoded once) against the former
 * way (`socket.emit` per client: built and encoded per client), in the same process, alternating
 * rounds. Prints the median and p95 wall time of one fan-out for each, and their ratio. Clients
 * are raw Engine.IO websocket connections (ws) on 127.0.0.1, so the generator costs little.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Server } from 'socket.io';
import WebSocket from 'ws';
import { percentile } from '../scripts/predeploy/analysis.ts';
import { numberArg } from './args.ts';

const N = numberArg('clients', 2000);
const ROUNDS = numberArg('rounds', 30);

// The built Broadcaster (src/ uses syntax Node cannot strip; `npm run bench:fanout` builds first).
const built = '../dist/gateway/broadcaster.js';
const { Broadcaster } = (await import(built)) as { Broadcaster: new (metrics: unknown) => { broadcast(server: Server, update: unknown): void } };
const http = createServer();
const server = new Server(http, { transports: ['websocket'] });
server.on('connection', (s) => {
  s.data.routes = null;
  s.data.version = 0;
});
await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
const port = (http.address() as AddressInfo).port;

let received = 0;
const clients: WebSocket[] = [];
for (let i = 0; i < N; i += 200) {
  await Promise.all(
    Array.from({ length: Math.min(200, N - i) }, () => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
      clients.push(ws);
      return new Promise<void>((resolve) => {
        ws.on('message', (m) => {
          const t = m.toString();
          if (t.startsWith('0')) ws.send('40');
          else if (t.startsWith('40')) resolve();
          else if (t === '2') ws.send('3');
          else received += 1;
        });
      });
    }),
  );
}

const vehicle = (i: number) => ({ id: `v${i}`, routeId: ['N', '38', 'J'][i % 3]!, lat: 37.7 + i / 1000, lon: -122.4 - i / 1000, bearing: (i * 17) % 360, updatedAt: Date.now() });
const previous = new Map(Array.from({ length: 300 }, (_, i) => [`v${i}`, vehicle(i)] as const));
const metrics = { broadcastDuration: { observe: () => undefined } };
const grouped = new Broadcaster(metrics);

/** The former fan-out: one `socket.emit` per client. */
function perSocket(update: { delta: unknown }): void {
  for (const s of server.of('/').sockets.values()) s.emit('vehicles:delta', { ...(update.delta as object) });
}

const times = { grouped: [] as number[], perSocket: [] as number[] };
let version = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (const kind of round % 2 === 0 ? (['grouped', 'perSocket'] as const) : (['perSocket', 'grouped'] as const)) {
    version += 1;
    for (const s of server.of('/').sockets.values()) s.data.version = version - 1;
    const delta = { fromVersion: version - 1, version, generatedAt: Date.now(), upserts: Array.from({ length: 20 }, (_, i) => vehicle(i)), removals: [] };
    const snapshot = { version, generatedAt: delta.generatedAt, vehicles: [...previous.values()] };
    const before = received;
    const t0 = performance.now();
    if (kind === 'grouped') grouped.broadcast(server, { snapshot, delta, previous });
    else perSocket({ delta });
    times[kind].push(performance.now() - t0);
    const deadline = Date.now() + 10_000;
    while (received - before < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  }
}
const fmt = (xs: number[]) => `median ${percentile(xs, 50)!.toFixed(2)} ms, p95 ${percentile(xs, 95)!.toFixed(2)} ms`;
console.log(`fan-out of one 20-vehicle delta (${JSON.stringify({ fromVersion: 1, version: 2, generatedAt: 0, upserts: Array.from({ length: 20 }, (_, i) => vehicle(i)), removals: [] }).length} B) to ${N} websocket clients, ${ROUNDS} rounds each`);
console.log(`  grouped (Broadcaster, encoded once per group): ${fmt(times.grouped)}`);
console.log(`  per-socket emit (encoded once per client):     ${fmt(times.perSocket)}`);
console.log(`  ratio per-socket / grouped (median): ${(percentile(times.perSocket, 50)! / percentile(times.grouped, 50)!).toFixed(2)}×`);
for (const c of clients) c.terminate();
server.close();

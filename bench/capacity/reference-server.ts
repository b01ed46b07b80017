#!/usr/bin/env node
/**
 * The capacity benchmark's reference: plain Socket.IO as its documentation sets it up for a
 * cluster (socket.io 4.8 + @socket.io/sticky 2.0.1 + @socket.io/cluster-adapter 0.3.0, two
 * workers). The primary takes the simulated fleet once a second (the service's own
 * simulator, same seed and size) and sends each delta to every worker over IPC; each worker
 * `io.local.emit`s it to its clients and greets a new client with its latest snapshot, the
 * events and payload shapes the service sends. A benchmark fixture (devDependencies only),
 * never shipped.
 *
 * `node bench/capacity/reference-server.ts` after `npm run build`; env PORT (0 = ephemeral),
 * WORKERS (2), VEHICLES (20), SEED (1), TICK_MS (1000). Prints one JSON line
 * `{"event":"listening","port":…}` once every worker is up.
 */
import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter, setupPrimary } from '@socket.io/cluster-adapter';
import { setupMaster, setupWorker } from '@socket.io/sticky';
import { Server } from 'socket.io';

interface Vehicle {
  id: string;
}
interface Delta {
  fromVersion: number;
  version: number;
  generatedAt: number;
  upserts: Vehicle[];
  removals: string[];
}

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

if (cluster.isPrimary) {
  const http = createServer();
  setupMaster(http, { loadBalancingMethod: 'least-connection' });
  setupPrimary();
  // As socket.io's cluster guide sets it: sticky sends Buffers over IPC.
  cluster.setupPrimary({ serialization: 'advanced' });
  const workers: Worker[] = [];
  let ready = 0;
  for (let i = 0; i < env('WORKERS', 2); i++) {
    const w = cluster.fork();
    workers.push(w);
    w.on('message', (m: { t?: string }) => {
      if (m?.t !== 'ready') return;
      ready += 1;
      if (ready === workers.length) http.listen(env('PORT', 0), '127.0.0.1', () => console.log(JSON.stringify({ event: 'listening', port: (http.address() as AddressInfo).port })));
    });
  }
  // The service's simulator (built), so both servers send the same vehicles.
  const built = '../../dist/feed/simulator/simulator.feed.js';
  const { SimulatorFeed } = (await import(built)) as { SimulatorFeed: new (o: { seed: number; vehicles: number }) => { fetch(): Promise<{ vehicles: Vehicle[] }> } };
  const feed = new SimulatorFeed({ seed: env('SEED', 1), vehicles: env('VEHICLES', 20) });
  let version = 0;
  let previous = new Set<string>();
  setInterval(async () => {
    const { vehicles } = await feed.fetch();
    const ids = new Set(vehicles.map((v) => v.id));
    version += 1;
    const delta: Delta = { fromVersion: version - 1, version, generatedAt: Date.now(), upserts: vehicles, removals: [...previous].filter((id) => !ids.has(id)) };
    previous = ids;
    for (const w of workers) w.send({ t: 'delta', delta });
  }, env('TICK_MS', 1000));
  process.on('SIGTERM', () => process.exit(0));
} else {
  const http = createServer();
  const io = new Server(http, { transports: ['polling', 'websocket'] });
  io.adapter(createAdapter());
  setupWorker(io);
  const fleet = new Map<string, Vehicle>();
  let latest = { version: 0, generatedAt: 0 };
  io.on('connection', (socket) => socket.emit('vehicles:snapshot', { ...latest, vehicles: [...fleet.values()] }));
  process.on('message', (msg: { t?: string; delta?: Delta }) => {
    if (msg.t !== 'delta' || !msg.delta) return;
    const d = msg.delta;
    for (const v of d.upserts) fleet.set(v.id, v);
    for (const id of d.removals) fleet.delete(id);
    latest = { version: d.version, generatedAt: d.generatedAt };
    io.local.emit('vehicles:delta', d);
  });
  process.send!({ t: 'ready' });
}

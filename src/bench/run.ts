import type { Vehicle } from '../domain/vehicle.js';
import { decodeVehiclePositions } from '../feed/gtfs-rt/gtfs-rt.decode.js';
import { encodeVehiclePositions } from '../feed/gtfs-rt/gtfs-rt.encode.js';
import { SimulatorFeed } from '../feed/simulator/simulator.feed.js';
import { parseRequestHead } from '../primary/request-line.js';
import { chooseWorker } from '../primary/routing.js';
import { newSessionId } from '../shared/session-id.js';
import { filterDelta } from '../store/route-filter.js';
import { diffVehicles, indexById } from '../store/snapshot-diff.js';
import { bench, type BenchResult } from './micro.js';

/**
 * `npm run bench`: the hot paths of one poll and of routing one request, with figures.
 * A poll diffs the new vehicles against the last snapshot and builds one filtered delta
 * per subscription; the router parses each new connection's request line.
 */
async function main(): Promise<void> {
  const results: BenchResult[] = [];
  for (const count of [300, 5000]) {
    let t = Date.now();
    const feed = new SimulatorFeed({ seed: 1, vehicles: count, now: () => t });
    const before = (await feed.fetch()).vehicles;
    t += 15_000;
    const after = (await feed.fetch()).vehicles;
    const prev = indexById(before);
    results.push(bench(`diff ${count} vehicles (15 s of movement)`, () => diffVehicles(prev, after)));
    const delta = { fromVersion: 1, version: 2, generatedAt: t, ...diffVehicles(prev, after) };
    const routes = new Set(['N', '38']);
    results.push(bench(`filter one ${count}-vehicle delta to 2 routes`, () => filterDelta(delta, routes, prev)));
    const bytes = encodeVehiclePositions(after as Vehicle[], t);
    results.push(bench(`decode GTFS-RT, ${count} vehicles (${(bytes.byteLength / 1024).toFixed(1)} KiB)`, () => decodeVehiclePositions(bytes, t)));
  }
  const line = Buffer.from(`GET /socket.io/?EIO=4&transport=polling&t=P1a2b3c&sid=${newSessionId(3)} HTTP/1.1\r\nHost: x\r\n\r\n`);
  const table = { accepting: [1, 2, 3, 4], alive: new Set([1, 2, 3, 4]) };
  let turn = 0;
  results.push(bench('route a new connection (parse request line + pick worker)', () => chooseWorker(parseRequestHead(line)!, table, true, turn++)));

  const width = Math.max(...results.map((r) => r.name.length));
  process.stdout.write(`Node ${process.versions.node}, ${new Date().toISOString()}\n`);
  for (const r of results) {
    process.stdout.write(`${r.name.padEnd(width)}  ${String(r.opsPerSec).padStart(10)} ops/s  ${String(r.meanUs).padStart(10)} µs/op\n`);
  }
}

void main();

#!/usr/bin/env node
/**
 * Self time of the .cpuprofile files in a profile.ts output directory, within its measurement
 * window only (startup and connects left out): per process, the total JavaScript + native time
 * V8 sampled, and the top functions and packages by self time, as cores.
 *
 * node bench/capacity/cpuprofile-summary.ts artifacts/profile-…   [--top 25]
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { numberArg } from '../args.ts';
import { placeOf } from './profile-place.ts';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: cpuprofile-summary.ts <profile output directory> [--top N]\n');
  process.exit(2);
}
const top = numberArg('top', 25);
const { windowMonotonicUs: win } = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as { windowMonotonicUs: { from: number; to: number } };

for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
  const p = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  let t = p.startTime;
  let inWindow = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    if (t < win.from || t > win.to) continue;
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + dt);
    inWindow += dt;
  }
  if (inWindow === 0) continue;
  const seconds = (win.to - win.from) / 1e6;
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  let idle = 0;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const name = n.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') {
      idle += us;
      continue;
    }
    const place = placeOf(n.callFrame.url);
    const key = `${name} ${place}:${n.callFrame.lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    pkg.set(place, (pkg.get(place) ?? 0) + us);
  }
  const busy = [...fn.values()].reduce((a, b) => a + b, 0);
  const cores = (us: number) => (us / 1e6 / seconds).toFixed(4);
  console.log(`\n${file}: ${cores(busy)} cores busy on the main thread (idle ${cores(idle)}), ${seconds.toFixed(1)} s window`);
  console.log('  by place:', [...pkg].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `${k} ${cores(v)}`).join(', '));
  for (const [k, v] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${cores(v)}  ${k}`);
  // Inclusive time of this repository's functions (dist/, bench/): what our own code costs, callees included.
  const total = new Map<string, number>();
  for (const [id, us] of self) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at)!;
      const place = placeOf(n.callFrame.url);
      if (!place.startsWith('dist/') && !place.startsWith('bench/')) continue;
      const key = `${n.callFrame.functionName || '(anonymous)'} ${place}:${n.callFrame.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      total.set(key, (total.get(key) ?? 0) + us);
    }
  }
  console.log('  ours, inclusive:');
  for (const [k, v] of [...total].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${cores(v)}  ${k}`);
}

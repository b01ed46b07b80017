#!/usr/bin/env node
/**
 * The .heapprofile files in a profile.ts output directory (`--alloc-prof`: everything allocated
 * in the window; `--promoted-prof`: what outlived the young generation): per process the
 * sampled bytes in all, then the top allocating functions by self bytes and by package, and
 * this repository's functions inclusive (heap-summary.ts).
 *
 * node bench/capacity/heapprofile-summary.ts artifacts/profile-…   [--top 25]
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { numberArg } from '../args.ts';
import { largest, summarizeHeap, type HeapNode } from './heap-summary.ts';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: heapprofile-summary.ts <profile output directory> [--top N]\n');
  process.exit(2);
}
const top = numberArg('top', 25);
const mib = (b: number) => `${(b / 1024 / 1024).toFixed(2)} MiB`;

for (const file of readdirSync(dir).filter((f) => f.endsWith('.heapprofile'))) {
  const { head } = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { head: HeapNode };
  const s = summarizeHeap(head);
  console.log(`\n${file}: ${mib(s.totalBytes)} sampled`);
  console.log(`  by place: ${largest(s.byPlace, 12).map(([p, v]) => `${p} ${mib(v)}`).join(', ')}`);
  for (const [name, v] of largest(s.self, top)) console.log(`  ${mib(v).padStart(11)}  ${name}`);
  console.log('  ours, inclusive:');
  for (const [name, v] of largest(s.ours, top)) console.log(`  ${mib(v).padStart(11)}  ${name}`);
}

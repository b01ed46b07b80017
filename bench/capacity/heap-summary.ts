/**
 * Totals of one V8 sampling heap profile (`HeapProfiler.stopSampling`'s `head`): bytes by
 * allocating function (self), by package or file, and this repository's functions inclusive
 * (what they and their callees allocated, counted once where one calls itself).
 */
import { placeOf } from './profile-place.ts';

export interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

export interface HeapSummary {
  totalBytes: number;
  /** `name place:line` → bytes allocated by that function itself. */
  self: Map<string, number>;
  /** Package, Node module or repository file → bytes. */
  byPlace: Map<string, number>;
  /** Our functions (dist/, src/, bench/) → bytes allocated by them and their callees. */
  ours: Map<string, number>;
}

const OURS = /^(dist|src|bench)\//;

export function summarizeHeap(head: HeapNode): HeapSummary {
  const s: HeapSummary = { totalBytes: 0, self: new Map(), byPlace: new Map(), ours: new Map() };
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  const onPath = new Set<string>();
  // Iterative: a deep allocation stack must not overflow this script's own.
  const stack: { n: HeapNode; name: string; mine: boolean; sub: number; next: number }[] = [];
  const enter = (n: HeapNode) => {
    const place = placeOf(n.callFrame.url);
    const name = `${n.callFrame.functionName || '(anonymous)'} ${place}:${n.callFrame.lineNumber + 1}`;
    s.totalBytes += n.selfSize;
    add(s.self, name, n.selfSize);
    add(s.byPlace, place, n.selfSize);
    const mine = OURS.test(place) && !onPath.has(name);
    if (mine) onPath.add(name);
    stack.push({ n, name, mine, sub: n.selfSize, next: 0 });
  };
  enter(head);
  while (stack.length > 0) {
    const top = stack.at(-1)!;
    const child = top.n.children[top.next++];
    if (child) {
      enter(child);
      continue;
    }
    stack.pop();
    if (top.mine) {
      onPath.delete(top.name);
      add(s.ours, top.name, top.sub);
    }
    if (stack.length > 0) stack.at(-1)!.sub += top.sub;
  }
  return s;
}

/** The `k` largest entries, largest first, zeros left out. */
export function largest(m: ReadonlyMap<string, number>, k: number): [string, number][] {
  return [...m]
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, k);
}

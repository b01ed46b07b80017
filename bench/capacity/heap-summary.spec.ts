import { describe, expect, it } from 'vitest';
import { largest, summarizeHeap, type HeapNode } from './heap-summary.ts';
import { placeOf } from './profile-place.ts';

const node = (functionName: string, url: string, selfSize: number, children: HeapNode[] = []): HeapNode => ({
  callFrame: { functionName, url, lineNumber: 9 },
  selfSize,
  children,
});

describe('placeOf', () => {
  it('names the package, Node module or repository file a profiled function lives in', () => {
    expect(placeOf('')).toBe('(native)');
    expect(placeOf('node:net')).toBe('node:net');
    expect(placeOf('file:///w/node_modules/engine.io/build/socket.js')).toBe('engine.io');
    expect(placeOf('file:///w/node_modules/@socket.io/sticky/index.js')).toBe('@socket.io/sticky');
    expect(placeOf('file:///work/main/dist/primary/router.js')).toBe('dist/primary/router.js');
  });
});

describe('summarizeHeap', () => {
  // (root) → accept (ours, 10) → onconnection (node:net, 100) and accept again (recursion, 5) → Duplex (node, 7)
  const head = node('(root)', '', 0, [
    node('accept', 'file:///w/dist/primary/router.js', 10, [
      node('onconnection', 'node:net', 100),
      node('accept', 'file:///w/dist/primary/router.js', 5, [node('Duplex', 'node:internal/streams/duplex', 7)]),
    ]),
    node('send', 'file:///w/node_modules/engine.io/build/socket.js', 40),
  ]);
  const s = summarizeHeap(head);

  it('counts every sampled byte once, by function and by place', () => {
    expect(s.totalBytes).toBe(162);
    expect(s.self.get('accept dist/primary/router.js:10')).toBe(15);
    expect(s.self.get('onconnection node:net:10')).toBe(100);
    expect(s.byPlace.get('engine.io')).toBe(40);
    expect(s.byPlace.get('dist/primary/router.js')).toBe(15);
  });

  it("credits our functions with their callees' bytes, once where one calls itself", () => {
    expect(s.ours.get('accept dist/primary/router.js:10')).toBe(122);
    expect(s.ours.has('send engine.io:10')).toBe(false);
  });

  it('walks an allocation stack deeper than a recursive walk could', () => {
    let deep = node('leaf', 'node:net', 1);
    for (let i = 0; i < 20_000; i++) deep = node('f', 'node:events', 0, [deep]);
    expect(summarizeHeap(deep).totalBytes).toBe(1);
  });

  it('lists the largest entries first and leaves zeros out', () => {
    expect(largest(s.byPlace, 2)).toEqual([
      ['node:net', 100],
      ['engine.io', 40],
    ]);
    expect(largest(new Map([['a', 0]]), 5)).toEqual([]);
  });
});

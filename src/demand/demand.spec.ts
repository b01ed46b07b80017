import { describe, expect, it } from 'vitest';
import { computeDemand, hasDemand, viewerCount } from './demand.js';
import { isPolling, stepGate, type GateState } from './demand-gate.js';

describe('computeDemand', () => {
  it('sums absolute reports, so a removed worker takes its viewers with it', () => {
    const reports = new Map([
      [1, { sockets: 3, lastFallbackAt: 0 }],
      [2, { sockets: 2, lastFallbackAt: 0 }],
    ]);
    expect(computeDemand(reports.values(), 0, 60_000).sockets).toBe(5);
    reports.delete(1);
    expect(computeDemand(reports.values(), 0, 60_000).sockets).toBe(2);
  });

  it('counts a fallback viewer only within the window', () => {
    const reports = [{ sockets: 0, lastFallbackAt: 10_000 }];
    const during = computeDemand(reports, 69_999, 60_000);
    expect(during).toEqual({ sockets: 0, fallback: true, fallbackUntil: 70_000 });
    expect(viewerCount(during)).toBe(1);
    expect(hasDemand(computeDemand(reports, 70_000, 60_000))).toBe(false);
  });
});

describe('stepGate', () => {
  const idle: GateState = { kind: 'idle' };

  it('opens on demand and reports the opening once', () => {
    const a = stepGate(idle, true, 0, 1000);
    expect(a).toEqual({ state: { kind: 'open' }, opened: true, closed: false });
    expect(stepGate(a.state, true, 5, 1000).opened).toBe(false);
  });

  it('keeps polling through the grace period and closes at its end', () => {
    const g = stepGate({ kind: 'open' }, false, 100, 1000);
    expect(g.state).toEqual({ kind: 'grace', until: 1100 });
    expect(isPolling(g.state)).toBe(true);
    expect(stepGate(g.state, false, 1099, 1000).closed).toBe(false);
    const c = stepGate(g.state, false, 1100, 1000);
    expect(c).toEqual({ state: { kind: 'idle' }, opened: false, closed: true });
  });

  it('a reload within grace reopens without a new opening', () => {
    const g = stepGate({ kind: 'open' }, false, 0, 1000).state;
    expect(stepGate(g, true, 500, 1000)).toEqual({ state: { kind: 'open' }, opened: false, closed: false });
  });

  it('closes at once with zero grace', () => {
    expect(stepGate({ kind: 'open' }, false, 0, 0).closed).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { fanoutFigures, ReceiptLog } from './receipts.ts';

describe('ReceiptLog', () => {
  it('keeps first, last, count and delays per version, and selects by generatedAt', () => {
    const log = new ReceiptLog();
    log.record(1, 1000, 1010);
    log.record(1, 1000, 1050);
    log.record(1, 1000, 1030);
    log.record(2, 2000, 2005);
    expect(log.between(0, 1500)).toEqual([{ version: 1, generatedAt: 1000, first: 1010, last: 1050, count: 3, delays: [10, 50, 30] }]);
    expect(log.between(1500, 2500).map((r) => r.version)).toEqual([2]);
  });
});

describe('fanoutFigures', () => {
  it('merges generators: spread spans both, delays pooled, misses counted against all clients', () => {
    const a = [{ version: 7, generatedAt: 0, first: 100, last: 150, count: 2, delays: [100, 150] }];
    const b = [
      { version: 7, generatedAt: 0, first: 120, last: 400, count: 2, delays: [120, 400] },
      { version: 8, generatedAt: 1000, first: 1010, last: 1020, count: 2, delays: [10, 20] },
    ];
    const f = fanoutFigures([a, b], 4);
    expect(f.versions).toBe(2);
    // version 7: 400 − 100; version 8: 1020 − 1010.
    expect(f.spread).toEqual({ p50: 10, p95: 300, p99: 300 });
    expect(f.delay.p50).toBe(100);
    expect(f.delay.p99).toBe(400);
    // version 8 reached 2 of 4 clients.
    expect(f.missed).toBe(2);
  });

  it('has no figures without receipts', () => {
    expect(fanoutFigures([[]], 10)).toEqual({ versions: 0, spread: { p50: null, p95: null, p99: null }, delay: { p50: null, p95: null, p99: null }, missed: 0 });
  });
});

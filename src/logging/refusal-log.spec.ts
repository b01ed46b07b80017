import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RefusalLog } from './refusal-log.js';

describe('RefusalLog', () => {
  let lines: { fields: Record<string, unknown>; message: string }[];
  let log: RefusalLog;
  beforeEach(() => {
    vi.useFakeTimers();
    lines = [];
    log = new RefusalLog({ warn: ((fields: Record<string, unknown>, message: string) => lines.push({ fields, message })) as never }, 10_000, () => Date.now());
  });
  afterEach(() => {
    log.stop();
    vi.useRealTimers();
  });

  it('writes the first refusal at once and 999 more as one line when the window closes', () => {
    for (let i = 0; i < 1000; i++) log.refused('rate_limited', { ip: `10.0.0.${i % 250}` }, 'handshake refused (429)');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.fields).toMatchObject({ event: 'refused', reason: 'rate_limited', suppressed: 0, ip: '10.0.0.0' });
    vi.advanceTimersByTime(9_999);
    expect(lines).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(lines).toHaveLength(2);
    expect(lines[1]!.fields).toMatchObject({ reason: 'rate_limited', suppressed: 999, ip: '10.0.0.249' });
    expect(lines[1]!.message).toMatch(/999 like this in the last 10 s/);
  });

  it('keeps reasons apart and writes at most one line per reason per window under a steady flood', () => {
    for (let s = 0; s < 60; s++) {
      for (let i = 0; i < 100; i++) {
        log.refused('origin', {}, 'origin refused');
        log.refused('unknown_sid', {}, 'unknown sid');
      }
      vi.advanceTimersByTime(1_000);
    }
    const per = (r: string) => lines.filter((l) => l.fields.reason === r);
    // 60 s of refusals: the first line at once, then one as each 10 s window closes (at 10 s … 60 s).
    expect(per('origin')).toHaveLength(7);
    expect(per('unknown_sid')).toHaveLength(7);
    // Every refusal is accounted for: the first line stands for 1, each later one for its `suppressed`.
    const accounted = per('origin').reduce((n, l, i) => n + (i === 0 ? 1 : (l.fields.suppressed as number)), 0);
    expect(accounted).toBe(6000);
  });

  it('a lone refusal after a quiet window is written at once, with nothing suppressed', () => {
    log.refused('bad_request', {}, 'x');
    vi.advanceTimersByTime(30_000);
    log.refused('bad_request', {}, 'y');
    expect(lines.map((l) => [l.message, l.fields.suppressed])).toEqual([
      ['x', 0],
      ['y', 0],
    ]);
  });
});

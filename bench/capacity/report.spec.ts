import { describe, expect, it } from 'vitest';
import { formatRow, heldBy, median, stepFigures, summary } from './report.ts';
import type { StepResult } from './step.ts';

const row = (o: Partial<StepResult> & Pick<StepResult, 'target' | 'clients'>): StepResult => ({
  kind: 'websocket',
  connected: o.clients,
  open: o.clients,
  errors: {},
  versions: 10,
  spread: { p50: 100, p95: 500, p99: 600 },
  delay: { p50: 50, p95: 90, p99: 120 },
  missed: 0,
  cores: { primary: 0.1, workers: 0.3, server: 0.4, generators: 0.3, machine: 0.8 },
  processes: 3,
  rssMiB: 500,
  primaryRssMiB: 150,
  kibPerClient: 100,
  connectCoreSecondsPerK: 0.5,
  settleS: 3,
  ...o,
});

describe('capacity report', () => {
  it('holds N only with p95 spread ≤ 1 s and ≥ 90 % connected', () => {
    expect(heldBy(row({ target: 'service', clients: 1000 }))).toBe(true);
    expect(heldBy(row({ target: 'service', clients: 1000, spread: { p50: 1, p95: 1001, p99: 2000 } }))).toBe(false);
    expect(heldBy(row({ target: 'service', clients: 1000, connected: 963 }))).toBe(true);
    expect(heldBy(row({ target: 'service', clients: 1000, connected: 899 }))).toBe(false);
    expect(heldBy(row({ target: 'service', clients: 1000, spread: { p50: null, p95: null, p99: null } }))).toBe(false);
  });

  it('names the largest N each held, their ratio, and the ratios at the largest N both held', () => {
    const lines = summary([
      row({ target: 'service', clients: 1000, cores: { primary: 0.05, workers: 0.15, server: 0.2, generators: 0.3, machine: 0.6 }, kibPerClient: 80 }),
      row({ target: 'reference', clients: 1000, errors: { connect_400: 3 } }),
      row({ target: 'service', clients: 2000 }),
      row({ target: 'reference', clients: 2000, spread: { p50: 900, p95: 2500, p99: 2600 } }),
    ]);
    expect(lines[0]).toContain('service 2000, reference 1000, ratio 2.00×');
    expect(lines[1]).toBe('  400s over all steps: service 0, reference 3');
    expect(lines.join('\n')).toContain('at N = 1000: server cores 0.50× the reference\'s (0.200 vs 0.400), KiB per client 0.80× (80.0 vs 100.0), delay p99 1.00× (120 vs 120 ms), connect work 1.00× (0.50 vs 0.50 core-s per 1000)');
  });

  it('prints errors by kind in one row', () => {
    const text = formatRow(row({ target: 'reference', clients: 100, connected: 97, errors: { connect_400: 2, lost_connect: 1, 'disconnect:ping timeout': 4 } }));
    expect(text).toContain('| 97 (100) | 2 / 0 | 1 | disconnect:ping timeout 4 |'); expect(text).toContain('| 100.0 | 0.50 | yes |');
    expect(text.endsWith('| yes |')).toBe(true); // 97 % connected, spread within 1 s: held, losses shown beside
  });

  it('median: the middle value, the lower middle for an even count, nulls ignored', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2);
    expect(median([null, 5, null])).toBe(5);
    expect(median([null])).toBeNull();
  });

  it('repeated runs: a step is held by a strict majority of its runs, its figures are medians', () => {
    const slow = { p50: 900, p95: 1400, p99: 1500 };
    const steps = stepFigures([
      row({ target: 'service', clients: 2000, cores: { primary: 0.1, workers: 0.5, server: 0.6, generators: 0.3, machine: 1 } }),
      row({ target: 'reference', clients: 2000, spread: slow }),
      row({ target: 'service', clients: 2000, spread: slow, cores: { primary: 0.1, workers: 0.8, server: 0.9, generators: 0.3, machine: 1 } }),
      row({ target: 'reference', clients: 2000 }),
      row({ target: 'service', clients: 2000, cores: { primary: 0.1, workers: 0.6, server: 0.7, generators: 0.3, machine: 1 } }),
      row({ target: 'reference', clients: 2000, spread: slow }),
    ]);
    expect(steps.map((s) => [s.target, s.runs, s.held, s.cores])).toEqual([
      ['service', 3, true, 0.7],
      ['reference', 3, false, 0.4],
    ]);
    // Two runs, one held: a tie, not held.
    expect(stepFigures([row({ target: 'service', clients: 1000 }), row({ target: 'service', clients: 1000, spread: slow })])[0]!.held).toBe(false);
  });

  it('the summary of repeated runs compares medians and says how many runs each verdict took', () => {
    const at = (target: 'service' | 'reference', clients: number, server: number, p95 = 500) =>
      row({ target, clients, spread: { p50: 100, p95, p99: p95 }, cores: { primary: 0.1, workers: server - 0.1, server, generators: 0.3, machine: 1 } });
    const lines = summary([
      at('service', 1000, 0.3), at('reference', 1000, 0.5), at('service', 1000, 0.9), at('reference', 1000, 0.4), at('service', 1000, 0.2), at('reference', 1000, 0.45),
      at('service', 2000, 0.6), at('reference', 2000, 0.8, 1500), at('service', 2000, 0.6, 1500), at('reference', 2000, 0.8), at('service', 2000, 0.6), at('reference', 2000, 0.8, 1200),
    ]);
    expect(lines[0]).toContain('in most of 3 runs): service 2000, reference 1000, ratio 2.00×');
    expect(lines.join('\n')).toContain("at N = 1000, medians: server cores 0.67× the reference's (0.300 vs 0.450)");
    const none = summary([row({ target: 'service', clients: 2000 }), row({ target: 'reference', clients: 2000, spread: { p50: 900, p95: 2500, p99: 2600 } })]);
    expect(none[0]).toContain('service 2000, reference none, ratio – (the reference held none of its steps: add a smaller one for a ratio)');
  });
});

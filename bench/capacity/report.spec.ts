import { describe, expect, it } from 'vitest';
import { formatRow, heldBy, summary } from './report.ts';
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
    expect(lines.join('\n')).toContain('at N = 1000: server cores 0.50× the reference\'s (0.20 vs 0.40), KiB per client 0.80× (80.0 vs 100.0), delay p99 1.00× (120 vs 120 ms), connect work 1.00× (0.50 vs 0.50 core-s per 1000)');
  });

  it('prints errors by kind in one row', () => {
    const text = formatRow(row({ target: 'reference', clients: 100, connected: 97, errors: { connect_400: 2, lost_connect: 1, 'disconnect:ping timeout': 4 } }));
    expect(text).toContain('| 97 (100) | 2 / 0 | 1 | disconnect:ping timeout 4 |'); expect(text).toContain('| 100.0 | 0.50 | yes |');
    expect(text.endsWith('| yes |')).toBe(true); // 97 % connected, spread within 1 s: held, losses shown beside
  });
});

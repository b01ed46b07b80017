import { describe, expect, it } from 'vitest';
import { combineDemand, type InstanceDemand } from '../coordination/instance-demand.js';
import { agencyViewers, nextFallbackExpiry, watchedAgencies } from './agency-demand.js';
import { nextGraceEnd, polledAgencies, stepAgencyGates } from './agency-gates.js';
import { computeDemand, type ViewerReport } from './demand.js';

const AGENCIES = ['SF', 'AC', 'BA'];

describe('demand per agency', () => {
  it('sums the workers’ per-agency reports; a removed worker takes its agencies’ viewers with it', () => {
    const reports = new Map<number, ViewerReport>([
      [1, { sockets: 3, lastFallbackAt: 0, agencies: { SF: { sockets: 2, lastFallbackAt: 0 }, AC: { sockets: 1, lastFallbackAt: 0 } } }],
      [2, { sockets: 1, lastFallbackAt: 0, agencies: { SF: { sockets: 1, lastFallbackAt: 0 } } }],
    ]);
    const d = computeDemand(reports.values(), 0, 60_000);
    expect(d.agencies).toEqual({ SF: { sockets: 3, fallbackUntil: 0 }, AC: { sockets: 1, fallbackUntil: 0 } });
    expect(watchedAgencies(d, AGENCIES, 0)).toEqual(['SF', 'AC']);
    reports.delete(1);
    expect(watchedAgencies(computeDemand(reports.values(), 0, 60_000), AGENCIES, 0)).toEqual(['SF']);
  });

  it('counts a fallback viewer of BA for BA only, within its window', () => {
    const reports = [{ sockets: 0, lastFallbackAt: 10_000, agencies: { BA: { sockets: 0, lastFallbackAt: 10_000 } } }];
    const d = computeDemand(reports, 20_000, 60_000);
    expect(d.agencies).toEqual({ BA: { sockets: 0, fallbackUntil: 70_000 } });
    expect(Object.fromEntries(agencyViewers(d, AGENCIES, 20_000))).toEqual({ SF: 0, AC: 0, BA: 1 });
    expect(nextFallbackExpiry(d, 20_000)).toBe(70_000);
    expect(watchedAgencies(computeDemand(reports, 70_000, 60_000), AGENCIES, 70_000)).toEqual([]);
  });

  it('gives viewers nobody attributed (older instances, one-agency reports) to the default agency', () => {
    expect(watchedAgencies({ sockets: 2, fallback: false }, AGENCIES, 0)).toEqual(['SF']);
    const mixed = { sockets: 5, fallback: false, agencies: { BA: { sockets: 4, fallbackUntil: 0 } } };
    expect(Object.fromEntries(agencyViewers(mixed, AGENCIES, 0))).toEqual({ SF: 1, AC: 0, BA: 4 });
    // An agency this instance does not serve is ignored, not polled.
    expect(watchedAgencies({ sockets: 1, fallback: false, agencies: { XX: { sockets: 1, fallbackUntil: 0 } } }, AGENCIES, 0)).toEqual([]);
  });

  it('a feed with one implicit agency is watched as a whole', () => {
    expect(watchedAgencies({ sockets: 1, fallback: false }, [], 0)).toEqual(['']);
    expect(watchedAgencies({ sockets: 0, fallback: false }, [], 0)).toEqual([]);
  });

  it('combines the instances of a deployment per agency (Redis demand entries)', () => {
    const local = { sockets: 1, fallback: false, agencies: { SF: { sockets: 1, fallbackUntil: 0 } } };
    const others: InstanceDemand[] = [
      { instance: 'b', sockets: 2, fallbackUntil: 0, expiresAt: 9_000, agencies: { AC: { sockets: 2, fallbackUntil: 0 } } },
      { instance: 'c', sockets: 0, fallbackUntil: 1_500, expiresAt: 9_000, agencies: { BA: { sockets: 0, fallbackUntil: 1_500 } } },
      { instance: 'old', sockets: 3, fallbackUntil: 0, expiresAt: 9_000 },
    ];
    const d = combineDemand(local, 'a', others, 1_000);
    expect(d.sockets).toBe(6);
    expect(Object.fromEntries(agencyViewers(d, AGENCIES, 1_000))).toEqual({ SF: 4, AC: 2, BA: 1 });
    expect(watchedAgencies(combineDemand(local, 'a', others, 1_500), AGENCIES, 1_500)).toEqual(['SF', 'AC']); // BA's fallback window closed
  });
});

describe('one gate per agency', () => {
  it('opens each agency on its own demand, keeps it through its grace period, closes it at the end', () => {
    let s = stepAgencyGates(new Map(), AGENCIES, ['SF'], 0, 1_000);
    expect(s.opened).toEqual(['SF']);
    expect(polledAgencies(s.gates)).toEqual(['SF']);
    s = stepAgencyGates(s.gates, AGENCIES, ['BA', 'SF'], 10, 1_000);
    expect(s.opened).toEqual(['BA']);
    expect(polledAgencies(s.gates)).toEqual(['SF', 'BA']);
    s = stepAgencyGates(s.gates, AGENCIES, ['BA'], 100, 1_000);
    expect(s).toMatchObject({ opened: [], closed: [] });
    expect(polledAgencies(s.gates)).toEqual(['SF', 'BA']);
    expect(nextGraceEnd(s.gates)).toBe(1_100);
    s = stepAgencyGates(s.gates, AGENCIES, ['BA'], 1_100, 1_000);
    expect(s.closed).toEqual(['SF']);
    expect(polledAgencies(s.gates)).toEqual(['BA']);
    expect(nextGraceEnd(s.gates)).toBeNull();
  });
});

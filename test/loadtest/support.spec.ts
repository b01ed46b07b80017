/** Pure helpers of the load tests: profiles, summary text, TransitTracker. */
import { describe, expect, it } from 'vitest';
import { PROFILES, buildScenarios, buildStages, selectProfile } from '../../loadtest/lib/profiles.ts';
import { failedThresholds, textSummary, type SummaryData } from '../../loadtest/lib/summary.ts';
import { TransitTracker, parseRoutes, subscribeRequest } from '../../loadtest/lib/transit.ts';

describe('profiles', () => {
  it('selects by name, smoke by default, and refuses unknown names', () => {
    expect(selectProfile(undefined).name).toBe('smoke');
    expect(selectProfile(' soak ').name).toBe('soak');
    expect(() => selectProfile('huge')).toThrow('PROFILE=huge is unknown; use one of smoke, average, soak, stress');
  });

  it('scales stages to VUS and overrides plateaus with HOLD', () => {
    expect(buildStages(PROFILES.stress, 100, '1m')).toEqual([
      { duration: '2m', target: 25 }, { duration: '1m', target: 25 },
      { duration: '2m', target: 50 }, { duration: '1m', target: 50 },
      { duration: '2m', target: 100 }, { duration: '1m', target: 100 },
      { duration: '2m', target: 0 },
    ]);
    expect(() => buildStages(PROFILES.soak, 0)).toThrow(/VUS/);
    expect(() => buildStages(PROFILES.soak, 5, 'forever')).toThrow(/HOLD/);
  });

  it('builds a ramping-vus scenario whose grace outlasts a client session', () => {
    expect(buildScenarios(PROFILES.soak, { exec: 'main' })).toEqual({
      soak: {
        executor: 'ramping-vus', startVUs: 0, exec: 'main', tags: { profile: 'soak' },
        stages: [{ duration: '2m', target: 50 }, { duration: '2h', target: 50 }, { duration: '2m', target: 0 }],
        gracefulRampDown: '660s', gracefulStop: '660s',
      },
    });
    for (const p of Object.values(PROFILES)) expect(p.stages.at(-1)?.fraction).toBe(0);
  });
});

describe('summary', () => {
  const data: SummaryData = {
    state: { testRunDurationMs: 61_000 },
    root_group: { checks: [{ name: 'subscribe acknowledged ok', passes: 4, fails: 0 }], groups: [] },
    metrics: {
      http_reqs: { type: 'counter', values: { count: 120, rate: 2 } },
      update_latency: { type: 'trend', contains: 'time', values: { avg: 12.5, min: 1, med: 10, max: 1500, 'p(90)': 30, 'p(95)': 40 }, thresholds: { 'p(95)<1000': { ok: true } } },
      polling_unexpected_400_rate: { type: 'rate', values: { rate: 0.1, passes: 1, fails: 9 }, thresholds: { 'rate<0.05': { ok: false } } },
      polling_ended_400s: { type: 'counter', values: { count: 12, rate: 0.2 } },
    },
  };
  it('lists thresholds, checks and key metrics first', () => {
    const text = textSummary(data, 'polling-soak');
    expect(text).toContain('== polling-soak (61.0 s) ==');
    expect(text).toContain('✗ polling_unexpected_400_rate rate<0.05');
    expect(text).toContain('✓ update_latency p(95)<1000');
    expect(text).toContain('✓ subscribe acknowledged ok: 4 passed, 0 failed');
    expect(text).toContain('10.00% (1 true / 9 false)');
    expect(text).toContain('p(95)=40.00ms');
    expect(text).toContain('max=1.50s');
    expect(text.indexOf('polling_unexpected_400_rate  ')).toBeLessThan(text.indexOf('polling_ended_400s  '));
    expect(text.indexOf('polling_ended_400s  ')).toBeLessThan(text.indexOf('http_reqs'));
    expect(text.trim().split('\n').at(-1)).toBe('RESULT: FAIL (polling_unexpected_400_rate: rate<0.05)');
    expect(failedThresholds(data)).toEqual(['polling_unexpected_400_rate: rate<0.05']);
  });

  it('reports ended-session 400s as a note, not a failure', () => {
    const text = textSummary(data, 'polling-soak');
    expect(text).toContain('note: 12 polling 400s named a session the server had ended (x-transit-session: ended)');
    expect(failedThresholds(data)).not.toContain(expect.stringMatching(/ended/));
    const none = textSummary({ metrics: { polling_ended_400s: { type: 'counter', values: { count: 0, rate: 0 } } } }, 'x');
    expect(none).not.toContain('note:');
    expect(none.trim().split('\n').at(-1)).toBe('RESULT: PASS');
  });
});

describe('TransitTracker', () => {
  const v = (id: string, routeId: string) => ({ id, routeId, lat: 1, lon: 2, bearing: null, updatedAt: 0 });
  it('measures delta latency, judges routes only after the subscribe ack, spots version gaps', () => {
    const t = new TransitTracker();
    const snap = t.observe({ kind: 'event', name: 'vehicles:snapshot', args: [{ version: 5, generatedAt: 0, vehicles: [v('a', 'N'), v('b', '14')] }] }, 1000);
    expect(snap).toMatchObject({ kind: 'snapshot', vehicles: 2, foreign: 0 });
    expect(snap.latencyMs).toBeUndefined();
    t.expectSubscribeAck(0, ['N']);
    expect(t.observe({ kind: 'ack', id: 0, args: [{ status: 'ok', routes: ['N'] }] }, 0).kind).toBe('subscribed');
    const delta = t.observe({ kind: 'event', name: 'vehicles:delta', args: [{ fromVersion: 5, version: 6, generatedAt: 900, upserts: [v('a', 'N'), v('b', '14')], removals: [] }] }, 950);
    expect(delta).toEqual({ kind: 'delta', latencyMs: 50, vehicles: 2, foreign: 1, versionGap: false });
    const gap = t.observe({ kind: 'event', name: 'vehicles:delta', args: [{ fromVersion: 7, version: 8, generatedAt: 0, upserts: [], removals: ['a'] }] }, 0);
    expect(gap.versionGap).toBe(true);
    expect(t.observe({ kind: 'event', name: 'vehicles:delta', args: [{ version: 1 }] }, 0)).toMatchObject({ kind: 'invalid', error: 'malformed vehicles:delta' });
    t.reset();
    expect(t.subscribedRoutes).toBeUndefined();
  });

  it('with several agencies, counts a vehicle of another agency as foreign once the ack names one', () => {
    const t = new TransitTracker();
    t.expectSubscribeAck(1, []);
    expect(t.observe({ kind: 'ack', id: 1, args: [{ status: 'ok', routes: [], agency: 'AC' }] }, 0).kind).toBe('subscribed');
    expect(t.subscribedAgency).toBe('AC');
    const snap = t.observe({ kind: 'event', name: 'vehicles:snapshot', args: [{ version: 1, generatedAt: 0, vehicles: [v('AC:1', '51B'), v('SF:1', 'N'), v('ACE:2', 'X')] }] }, 0);
    expect(snap).toMatchObject({ kind: 'snapshot', vehicles: 3, foreign: 2 });
    expect(subscribeRequest(['51B'], 'AC')).toEqual({ routes: ['51B'], agency: 'AC' });
    expect(subscribeRequest(['N'])).toEqual({ routes: ['N'] });
  });

  it('reports a subscribe error ack and ignores other acks', () => {
    const t = new TransitTracker();
    t.expectSubscribeAck(3, ['N']);
    expect(t.observe({ kind: 'ack', id: 2, args: [] }, 0).kind).toBe('other');
    expect(t.observe({ kind: 'ack', id: 3, args: [{ status: 'error', message: 'unknown route' }] }, 0)).toMatchObject({ kind: 'subscribe_error', error: 'unknown route' });
  });

  it('parses ROUTES', () => {
    expect(parseRoutes(' N, 38 ,,14')).toEqual(['N', '38', '14']);
    expect(parseRoutes(undefined)).toEqual([]);
  });
});

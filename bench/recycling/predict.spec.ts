import { describe, expect, it } from 'vitest';
import { requestCountingState, runBound, steadyState, type RecyclingLoad, type RecyclingSettings } from './predict.ts';

/** The scenario: 560 polling clients on 2 workers, ~0.15 requests/s each; sessions last 10 minutes on average. */
const PRODUCTION_LOAD: RecyclingLoad = { clients: 560, workers: 2, requestsPerClientPerSec: 0.15, newSessionsPerSec: 560 / 600 };
/** deploy/production.json. */
const PRODUCTION: RecyclingSettings = { maxSessions: 40_000, jitter: 4_000, minLifetimeMs: 600_000, drainWindowMs: 10_000 };

describe('recycling arithmetic (README "Worker recycling")', () => {
  it('request counting at MAX_REQUESTS=1000: a worker lives ~24 s and ~82,600 sessions are lost an hour', () => {
    const r = requestCountingState(PRODUCTION_LOAD, 1000, 50);
    expect(steadyState(PRODUCTION_LOAD, PRODUCTION).requestsPerWorkerPerSec).toBeCloseTo(42, 6);
    expect(r.secondsPerWorkerLife).toBeCloseTo(24.4, 1);
    expect(r.recyclesPerHour).toBeCloseTo(295, 0);
    expect(r.sessionsLostPerHour).toBeCloseTo(82_600, -2);
  });

  it('session counting at the production values: one recycle per worker about a day, ~23 sessions lost an hour', () => {
    const s = steadyState(PRODUCTION_LOAD, PRODUCTION);
    expect(s.sessionsPerWorker).toBe(280);
    expect(s.newSessionsPerWorkerPerDay).toBeCloseTo(40_320, 0);
    expect(s.recyclesPerHour).toBeCloseTo(0.0805, 4);
    expect(s.hoursPerWorkerLife).toBeCloseTo(24.8, 1);
    expect(s.sessionsLostPerRecycle).toBe(280);
    expect(s.sessionsLostPerHour).toBeCloseTo(22.55, 2);
    expect(s.reconnectsPerSecDuringDrain).toBe(28);
  });

  it('a limit at or below the sessions a worker holds would feed itself: only the minimum lifetime bounds it', () => {
    const s = steadyState(PRODUCTION_LOAD, { ...PRODUCTION, maxSessions: 200, jitter: 0 });
    expect(s.recyclesPerHour).toBeCloseTo(12, 6); // 2 workers, once per 10 minutes each
    expect(steadyState(PRODUCTION_LOAD, { ...PRODUCTION, maxSessions: 0 }).recyclesPerHour).toBe(0);
  });

  it('bounds a run from a fresh start: 5 production minutes recycle nothing; a small lowered-limit run a few times', () => {
    expect(runBound(PRODUCTION_LOAD, PRODUCTION, 300_000)).toEqual({ recycles: 0, sessionsLost: 0 });
    const small: RecyclingLoad = { clients: 20, workers: 2, requestsPerClientPerSec: 2, newSessionsPerSec: 2 };
    // (20 first handshakes + 80 arrivals) ÷ (30 − at most 20 re-counted per recycle) = 10; each closes at most 20 sessions.
    expect(runBound(small, { maxSessions: 30, jitter: 5, minLifetimeMs: 5_000, drainWindowMs: 1_000 }, 40_000)).toEqual({ recycles: 10, sessionsLost: 200 });
    // A limit at or below the sessions open bounds nothing by count: the lifetime cap does, 2 workers × ⌊40 / 15⌋.
    expect(runBound(small, { maxSessions: 10, jitter: 0, minLifetimeMs: 15_000, drainWindowMs: 1_000 }, 40_000)).toEqual({ recycles: 4, sessionsLost: 80 });
  });
});

/**
 * Shared load profiles (k6 `scenarios` with the ramping-vus executor), picked by env PROFILE.
 * Pure TypeScript (no k6 import) so vitest can check them; k6-env.ts applies the env overrides:
 *   PROFILE=smoke|average|soak|stress (default smoke)   VUS=<peak VUs>
 *   HOLD=<k6 duration of each plateau, e.g. 4h>          SESSION_SECONDS=<one client's lifetime>
 * One VU = one browser tab: an iteration runs one client (with its reconnects) for
 * SESSION_SECONDS, then closes cleanly and the next iteration opens a fresh client.
 */

export interface Stage {
  duration: string;
  target: number;
}

/** Structurally a k6 RampingVUsScenario. */
export interface RampingVusScenario {
  executor: 'ramping-vus';
  startVUs: number;
  stages: Stage[];
  gracefulRampDown: string;
  gracefulStop: string;
  exec?: string;
  tags?: Record<string, string>;
}

export type ProfileName = 'smoke' | 'average' | 'soak' | 'stress';

export interface ProfileStage {
  duration: string;
  /** Share of the peak VUs at the end of the stage (0–1). */
  fraction: number;
  /** A plateau: HOLD overrides its duration. */
  hold?: boolean;
}

export interface LoadProfile {
  name: ProfileName;
  description: string;
  peakVus: number;
  sessionSeconds: number;
  stages: ProfileStage[];
}

export const PROFILES: Record<ProfileName, LoadProfile> = {
  smoke: {
    name: 'smoke',
    description: 'sanity: 2 clients for ~40 s; run before anything bigger',
    peakVus: 2,
    sessionSeconds: 20,
    stages: [{ duration: '5s', fraction: 1 }, { duration: '30s', fraction: 1, hold: true }, { duration: '5s', fraction: 0 }],
  },
  average: {
    name: 'average',
    description: 'a normal day: 50 clients for 5 min',
    peakVus: 50,
    sessionSeconds: 120,
    stages: [{ duration: '1m', fraction: 1 }, { duration: '5m', fraction: 1, hold: true }, { duration: '1m', fraction: 0 }],
  },
  soak: {
    name: 'soak',
    description: 'average load for 2 h: finds leaks and worker-recycle session losses',
    peakVus: 50,
    sessionSeconds: 600,
    stages: [{ duration: '2m', fraction: 1 }, { duration: '2h', fraction: 1, hold: true }, { duration: '2m', fraction: 0 }],
  },
  stress: {
    name: 'stress',
    description: 'steps to 400 clients: where do 400s and latency start to climb',
    peakVus: 400,
    sessionSeconds: 60,
    stages: [
      { duration: '2m', fraction: 0.25 }, { duration: '3m', fraction: 0.25, hold: true },
      { duration: '2m', fraction: 0.5 }, { duration: '3m', fraction: 0.5, hold: true },
      { duration: '2m', fraction: 1 }, { duration: '3m', fraction: 1, hold: true },
      { duration: '2m', fraction: 0 },
    ],
  },
};

const DURATION = /^(\d+(\.\d+)?(ms|s|m|h))+$/;

export function isK6Duration(s: string): boolean {
  return DURATION.test(s);
}

/** The profile named `name` (default smoke); throws on an unknown name. */
export function selectProfile(name: string | undefined): LoadProfile {
  const key = (name ?? '').trim() || 'smoke';
  const profile = (PROFILES as Record<string, LoadProfile | undefined>)[key];
  if (!profile) throw new Error(`PROFILE=${key} is unknown; use one of ${Object.keys(PROFILES).join(', ')}`);
  return profile;
}

export interface ScenarioOverrides {
  vus?: number;
  hold?: string;
  sessionSeconds?: number;
  exec?: string;
}

export function buildStages(profile: LoadProfile, vus = profile.peakVus, hold?: string): Stage[] {
  if (!(vus >= 1) || Math.floor(vus) !== vus) throw new Error(`VUS must be a whole number ≥ 1, got ${vus}`);
  if (hold !== undefined && !isK6Duration(hold)) throw new Error(`HOLD must be a k6 duration like 30m or 2h, got ${hold}`);
  return profile.stages.map((s) => ({
    duration: s.hold && hold !== undefined ? hold : s.duration,
    target: s.fraction === 0 ? 0 : Math.max(1, Math.round(s.fraction * vus)),
  }));
}

/** `{ [profile name]: ramping-vus scenario }`, graceful periods long enough for a client to finish. */
export function buildScenarios(profile: LoadProfile, o: ScenarioOverrides = {}): Record<string, RampingVusScenario> {
  const session = o.sessionSeconds ?? profile.sessionSeconds;
  // A running client finishes its session, plus one long-poll (pingInterval, 25 s by default) and margin.
  const grace = `${Math.ceil(session) + 60}s`;
  const scenario: RampingVusScenario = {
    executor: 'ramping-vus',
    startVUs: 0,
    stages: buildStages(profile, o.vus, o.hold),
    gracefulRampDown: grace,
    gracefulStop: grace,
    tags: { profile: profile.name },
  };
  if (o.exec !== undefined) scenario.exec = o.exec;
  return { [profile.name]: scenario };
}

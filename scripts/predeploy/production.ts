/**
 * The production command and environment (deploy/production.json), and how the harness runs
 * them locally: production values, overridden by the caller's environment for any setting
 * of the service, then bound to 127.0.0.1 on ephemeral ports.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const PRODUCTION_FILE = path.join(ROOT, 'deploy/production.json');

export interface Production {
  command: string[];
  env: Record<string, string>;
  secrets: string[];
  healthcheck: { path: string };
  metrics: { path: string };
  killTimeoutSeconds: number;
}

export function loadProduction(file = PRODUCTION_FILE): Production {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<Production>;
  if (!Array.isArray(raw.command) || raw.command.length === 0 || !raw.command.every((c) => typeof c === 'string')) {
    throw new Error(`${file}: "command" must be a non-empty array of strings`);
  }
  if (!raw.env || typeof raw.env !== 'object' || !Object.values(raw.env).every((v) => typeof v === 'string')) {
    throw new Error(`${file}: "env" must map names to string values`);
  }
  return {
    command: raw.command,
    env: raw.env,
    secrets: raw.secrets ?? [],
    healthcheck: raw.healthcheck ?? { path: '/healthz' },
    metrics: raw.metrics ?? { path: '/metrics' },
    killTimeoutSeconds: raw.killTimeoutSeconds ?? 30,
  };
}

/** Local-only overrides: loopback, ephemeral ports (read back from the `listening` log line). */
export const HARNESS_OVERRIDES: Record<string, string> = {
  PORT: '0',
  HOST: '127.0.0.1',
  METRICS_PORT: '0',
  METRICS_HOST: '127.0.0.1',
  LOG_FORMAT: 'json',
  // The recycles the harness triggers (SIGUSR2) cannot wait out production's minimum worker
  // lifetime in a soak of a minute; everything else about them (one at a time, replacement
  // first, DRAIN_WINDOW_MS) is production's.
  MIN_WORKER_LIFETIME_MS: '0',
};

/** Names of the service's settings: the keys of the built config schema. */
export async function settingNames(): Promise<string[]> {
  const file = path.join(ROOT, 'dist/config/config.schema.js');
  const mod = (await import(file)) as { envSchema: { shape: Record<string, unknown> } };
  return Object.keys(mod.envSchema.shape);
}

export interface ChildEnv {
  /** The child's whole environment. */
  env: Record<string, string>;
  /** The effective settings (production values + caller overrides + harness overrides). */
  settings: Record<string, string>;
  /** Settings the caller's environment changed from the production values. */
  callerOverrides: Record<string, string>;
}

/**
 * Production env, then every setting of the service (or OTEL_*) the caller's environment
 * sets, then the harness's loopback overrides. Everything else of the caller's environment
 * (PATH, HOME, …) passes through, as it does for `npm start`.
 */
export function childEnv(prod: Production, caller: Record<string, string | undefined>, names: readonly string[]): ChildEnv {
  const known = new Set([...names, ...Object.keys(prod.env)]);
  const callerOverrides: Record<string, string> = {};
  for (const [k, v] of Object.entries(caller)) {
    if (v === undefined || k === 'NODE_ENV') continue;
    if ((known.has(k) || k.startsWith('OTEL_')) && prod.env[k] !== v && !(k in HARNESS_OVERRIDES)) callerOverrides[k] = v;
  }
  const passthrough: Record<string, string> = {};
  for (const [k, v] of Object.entries(caller)) if (v !== undefined && !known.has(k)) passthrough[k] = v;
  const settings = { ...prod.env, ...callerOverrides, ...HARNESS_OVERRIDES };
  return { env: { ...passthrough, ...settings }, settings, callerOverrides };
}

/** `["node", "dist/main.js"]` → this Node binary (npm puts Node 24 first on PATH) and the path under ROOT. */
export function resolveCommand(command: readonly string[], execPath = process.execPath): { file: string; args: string[] } {
  const [bin, ...args] = command;
  return { file: bin === 'node' ? execPath : bin!, args };
}

/** Typed view of the settings the verdict needs, with the service's defaults. */
export interface ServiceSettings {
  workers: number;
  sticky: boolean;
  allowUnsafe: boolean;
  transports: string[];
  pingIntervalMs: number;
  pingTimeoutMs: number;
  /** MAX_SESSIONS_PER_WORKER (or its gunicorn name MAX_REQUESTS) and its jitter. */
  maxSessions: number;
  maxSessionsJitter: number;
  gracefulTimeoutMs: number;
  pollIntervalMs: number;
  /** UPSTREAM_BUDGET_PER_HOUR as the service derives it: set, else 60 for FEED=511, else unlimited (`null`). */
  upstreamBudgetPerHour?: number | null;
  /** Upstream calls per poll: one per FEED_AGENCIES entry for FEED=511, else 1. */
  callsPerPoll?: number;
}

export function serviceSettings(s: Record<string, string>): ServiceSettings {
  const n = (k: string, d: number) => (s[k] !== undefined && s[k] !== '' && Number.isFinite(Number(s[k])) ? Number(s[k]) : d);
  const b = (k: string, d: boolean) => (s[k] === undefined ? d : ['true', '1', 'yes'].includes(s[k]!));
  return {
    workers: n('WEB_CONCURRENCY', 2),
    sticky: b('STICKY', true),
    allowUnsafe: b('ALLOW_UNSAFE_TOPOLOGY', false),
    transports: (s.TRANSPORTS ?? 'polling,websocket').split(',').map((t) => t.trim()).filter(Boolean),
    pingIntervalMs: n('PING_INTERVAL_MS', 25_000),
    pingTimeoutMs: n('PING_TIMEOUT_MS', 20_000),
    maxSessions: n('MAX_SESSIONS_PER_WORKER', n('MAX_REQUESTS', 0)),
    maxSessionsJitter: n('MAX_SESSIONS_JITTER', n('MAX_REQUESTS_JITTER', 0)),
    gracefulTimeoutMs: n('GRACEFUL_TIMEOUT_MS', 30_000),
    pollIntervalMs: n('POLL_INTERVAL_MS', 15_000),
    upstreamBudgetPerHour: n('UPSTREAM_BUDGET_PER_HOUR', s.FEED === '511' ? 60 : 0) || null,
    callsPerPoll: s.FEED === '511' ? (s.FEED_AGENCIES ?? 'SF').split(',').filter((a) => a.trim()).length || 1 : 1,
  };
}

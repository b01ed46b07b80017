import { hostname } from 'node:os';
import { budgetShare } from './budget-share.js';
import { envSchema, type Env } from './config.schema.js';
import { redactValue } from './redact.js';

/** The service's validated, frozen settings. */
export type Config = Readonly<
  Omit<Env, 'UPSTREAM_BUDGET_PER_HOUR' | RecyclingAliases> & {
    /** Derived: MAX_SESSIONS_PER_WORKER, else its gunicorn name MAX_REQUESTS, else 0 (never). */
    MAX_SESSIONS_PER_WORKER: number;
    /** Derived: MAX_SESSIONS_JITTER, else MAX_REQUESTS_JITTER, else 0. */
    MAX_SESSIONS_JITTER: number;
    /** Derived: INSTANCE_ID, else FLY_MACHINE_ID, else hostname-pid. */
    INSTANCE_ID: string;
    /**
     * Derived: the instance named in session ids (`<instance>~<worker>.<random>`), so a request
     * that reaches another machine is replayed to this one: set with REDIS_URL, or whenever the
     * platform names the machine (FLY_MACHINE_ID, or an explicit INSTANCE_ID), Redis or not.
     */
    SESSION_INSTANCE: string | undefined;
    /** Derived default: `pretty` on a terminal, `json` otherwise. */
    LOG_FORMAT: 'json' | 'pretty';
    /** Derived: upstream calls allowed per rolling hour, `null` = unlimited (see {@link defaultBudgetPerHour}). */
    UPSTREAM_BUDGET_PER_HOUR: number | null;
  }
>;

/** Old (gunicorn) names of the recycling limits, folded into MAX_SESSIONS_PER_WORKER / MAX_SESSIONS_JITTER. */
type RecyclingAliases = 'MAX_REQUESTS' | 'MAX_REQUESTS_JITTER' | 'MAX_SESSIONS_PER_WORKER' | 'MAX_SESSIONS_JITTER';

/** Thrown when the environment holds a bad value; the message names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates `env` (a plain record, usually `process.env`) into a frozen {@link Config}.
 * `terminal` says whether stdout is a TTY (it picks the default log format).
 */
export function parseConfig(env: Record<string, string | undefined>, terminal = false): Config {
  // An empty variable means "unset", except where empty is a value of its own.
  const present = Object.fromEntries(Object.entries(env).filter(([k, v]) => v !== undefined && (v !== '' || EMPTY_IS_A_VALUE.has(k))));
  const result = envSchema.safeParse(present);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      const given = typeof issue.path[0] === 'string' ? present[issue.path[0]] : undefined;
      const shown = given === undefined ? '(unset)' : JSON.stringify(redactValue(String(issue.path[0]), given));
      return `${name}=${shown}: ${issue.message}`;
    });
    throw new ConfigError(problems);
  }
  const c = result.data;
  const total = c.UPSTREAM_BUDGET_PER_HOUR === undefined ? defaultBudgetPerHour(c) : c.UPSTREAM_BUDGET_PER_HOUR || null;
  // Uncoordinated machines (no REDIS_URL) each spend only their share, so together they never exceed it.
  const shared = budgetShare(total, c);
  if ('problem' in shared) throw new ConfigError([shared.problem]);
  const budget = shared.share;
  if (c.FEED === '511' && budget !== null && budget < c.FEED_AGENCIES.length) {
    throw new ConfigError([`UPSTREAM_BUDGET_PER_HOUR=${budget}: must be ≥ the number of FEED_AGENCIES (${c.FEED_AGENCIES.length}), one call each per poll`]);
  }
  const { MAX_REQUESTS, MAX_REQUESTS_JITTER, MAX_SESSIONS_PER_WORKER, MAX_SESSIONS_JITTER, ...rest } = c;
  const aliasClash = [
    ['MAX_SESSIONS_PER_WORKER', MAX_SESSIONS_PER_WORKER, 'MAX_REQUESTS', MAX_REQUESTS],
    ['MAX_SESSIONS_JITTER', MAX_SESSIONS_JITTER, 'MAX_REQUESTS_JITTER', MAX_REQUESTS_JITTER],
  ].filter(([, a, , b]) => a !== undefined && b !== undefined);
  if (aliasClash.length > 0) {
    throw new ConfigError(aliasClash.map(([name, , old]) => `${old}: is the gunicorn name of ${name} (both count new sessions, not requests); set only ${name}`));
  }
  return Object.freeze({
    ...rest,
    MAX_SESSIONS_PER_WORKER: MAX_SESSIONS_PER_WORKER ?? MAX_REQUESTS ?? 0,
    MAX_SESSIONS_JITTER: MAX_SESSIONS_JITTER ?? MAX_REQUESTS_JITTER ?? 0,
    CORS_ORIGINS: Object.freeze([...c.CORS_ORIGINS]) as string[],
    TRANSPORTS: Object.freeze([...c.TRANSPORTS]) as ('polling' | 'websocket')[],
    FEED_AGENCIES: Object.freeze([...c.FEED_AGENCIES]) as string[],
    INSTANCE_ID: c.INSTANCE_ID ?? c.FLY_MACHINE_ID ?? `${hostname()}-${process.pid}`,
    SESSION_INSTANCE: c.REDIS_URL || c.INSTANCE_ID || c.FLY_MACHINE_ID ? (c.INSTANCE_ID ?? c.FLY_MACHINE_ID ?? `${hostname()}-${process.pid}`) : undefined,
    LOG_FORMAT: c.LOG_FORMAT ?? (terminal ? 'pretty' : 'json'),
    UPSTREAM_BUDGET_PER_HOUR: budget,
  });
}

/** 511.org's published limit for one API key: 60 requests per 3600 s. */
export const FIVE11_REQUESTS_PER_HOUR = 60;

/**
 * The budget when UPSTREAM_BUDGET_PER_HOUR is unset: 511.org's 60/h for FEED=511 and for a
 * GTFS-RT FEED_URL on api.511.org (the same key, the same limit); unlimited otherwise (the
 * simulator costs nothing, and other providers publish their own limits).
 */
export function defaultBudgetPerHour(c: Pick<Env, 'FEED' | 'FEED_URL'>): number | null {
  if (c.FEED === '511') return FIVE11_REQUESTS_PER_HOUR;
  if (c.FEED === 'gtfs-rt' && c.FEED_URL && /(^|\.)511\.org$/i.test(new URL(c.FEED_URL).hostname)) return FIVE11_REQUESTS_PER_HOUR;
  return null;
}

/** Variables for which `''` is meaningful: `TILE_URL=` means "no tiles" (offline maps). */
const EMPTY_IS_A_VALUE = new Set(['TILE_URL']);

let loaded: Config | undefined;

/** The one place that reads `process.env`. Later calls return the same frozen object. */
export function loadConfig(): Config {
  loaded ??= parseConfig(process.env, process.stdout.isTTY === true);
  return loaded;
}

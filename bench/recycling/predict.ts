/**
 * The arithmetic of worker recycling (README "Worker recycling"), as plain functions so the
 * README's figures, `npm run bench:recycling` and the short soak in the test suite compute
 * the same predictions. Sessions are what a recycle costs: every session the recycled worker
 * holds is closed and its client reconnects (to another worker, where it counts as a new
 * session — the feedback term below).
 */

/** What the clients do. */
export interface RecyclingLoad {
  /** Sessions open at once (polling clients in the scenario). */
  clients: number;
  workers: number;
  /** HTTP requests one polling client makes a second (long-polls, POSTs, pongs). */
  requestsPerClientPerSec: number;
  /** New sessions a second across the instance (arrivals: clients ÷ mean session length). */
  newSessionsPerSec: number;
}

/** The recycling settings of one run. */
export interface RecyclingSettings {
  /** MAX_SESSIONS_PER_WORKER (0 = never). */
  maxSessions: number;
  /** MAX_SESSIONS_JITTER. */
  jitter: number;
  /** MIN_WORKER_LIFETIME_MS. */
  minLifetimeMs: number;
  /** DRAIN_WINDOW_MS. */
  drainWindowMs: number;
}

export interface SteadyState {
  sessionsPerWorker: number;
  requestsPerWorkerPerSec: number;
  newSessionsPerWorkerPerDay: number;
  /** Recycles an hour, instance-wide, with the reconnect feedback and the minimum-lifetime cap. */
  recyclesPerHour: number;
  /** Hours between two recycles of one worker. */
  hoursPerWorkerLife: number;
  sessionsLostPerRecycle: number;
  sessionsLostPerHour: number;
  /** Reconnects a second the other workers take while a recycled worker drains. */
  reconnectsPerSecDuringDrain: number;
}

const HOUR_S = 3600;

/**
 * Steady state at a constant load. Each recycle closes S = clients ÷ workers sessions, which
 * reconnect and count as new sessions elsewhere, so recycles R (per second) satisfy
 * R × L = λ + R × S, i.e. R = λ ÷ (L − S) with L the mean limit (max + jitter ÷ 2); at L ≤ S
 * recycling would feed itself and only MIN_WORKER_LIFETIME_MS bounds it (workers ÷ lifetime).
 */
export function steadyState(load: RecyclingLoad, s: RecyclingSettings): SteadyState {
  const perWorker = load.clients / load.workers;
  const meanLimit = s.maxSessions + s.jitter / 2;
  const lifetimeCap = s.minLifetimeMs > 0 ? load.workers / (s.minLifetimeMs / 1000) : Infinity;
  let perSec = 0;
  if (s.maxSessions > 0) perSec = meanLimit > perWorker ? Math.min(load.newSessionsPerSec / (meanLimit - perWorker), lifetimeCap) : lifetimeCap;
  const perHour = perSec * HOUR_S;
  return {
    sessionsPerWorker: perWorker,
    requestsPerWorkerPerSec: (load.clients * load.requestsPerClientPerSec) / load.workers,
    newSessionsPerWorkerPerDay: (load.newSessionsPerSec / load.workers) * 24 * HOUR_S,
    recyclesPerHour: perHour,
    hoursPerWorkerLife: perHour > 0 ? load.workers / perHour : Infinity,
    sessionsLostPerRecycle: perWorker,
    sessionsLostPerHour: perHour * perWorker,
    reconnectsPerSecDuringDrain: s.drainWindowMs > 0 ? perWorker / (s.drainWindowMs / 1000) : perWorker,
  };
}

/**
 * What request counting (gunicorn's max_requests, as MAX_REQUESTS counted before) does at the
 * same load: a worker serves its budget in budget ÷ (requests a second per worker).
 */
export function requestCountingState(load: RecyclingLoad, maxRequests: number, jitter: number): { secondsPerWorkerLife: number; recyclesPerHour: number; sessionsLostPerHour: number } {
  const perWorker = (load.clients * load.requestsPerClientPerSec) / load.workers;
  const life = (maxRequests + jitter / 2) / perWorker;
  const perHour = (load.workers * HOUR_S) / life;
  return { secondsPerWorkerLife: life, recyclesPerHour: perHour, sessionsLostPerHour: perHour * (load.clients / load.workers) };
}

export interface RunBound {
  /** At most this many recycles in the run. */
  recycles: number;
  /** At most this many sessions closed by recycles in the run. */
  sessionsLost: number;
}

/**
 * Upper bounds for a run of `durationMs` from a fresh start. A recycle closes the sessions its
 * worker holds: clients ÷ workers on average, but at most all N of them — behind a pooling
 * proxy (Fly's edge, or fetch's keep-alive pool in the soak) handshakes ride whichever pooled
 * connection is free, so the router balances connections, not sessions, and a survivor takes
 * most of a recycle's reconnects. Every first handshake counts (N), arrivals add λ × D, and each
 * of k recycles re-counts at most N; each recycle needs its worker to have counted L (the limit
 * without jitter), so k × L ≤ N + λD + k × N, k ≤ (N + λD) ÷ (L − N) when L > N. No worker
 * recycles before its minimum lifetime, so also k ≤ workers × ⌊D ÷ lifetime⌋. Sessions lost ≤ k × N.
 */
export function runBound(load: RecyclingLoad, s: RecyclingSettings, durationMs: number): RunBound {
  if (s.maxSessions <= 0) return { recycles: 0, sessionsLost: 0 };
  const counted = load.clients + load.newSessionsPerSec * (durationMs / 1000);
  const byCount = s.maxSessions > load.clients ? Math.floor(counted / (s.maxSessions - load.clients)) : Infinity;
  const byLifetime = s.minLifetimeMs > 0 ? load.workers * Math.floor(durationMs / s.minLifetimeMs) : Infinity;
  const recycles = Math.min(byCount, byLifetime);
  return { recycles, sessionsLost: recycles * load.clients };
}

import type { Config } from '../config/config.js';

/** What `/readyz` says of the process model. */
export interface TopologyReport {
  workers: number;
  sticky: boolean;
  /** How an update reaches every client: the primary sends it to each worker over IPC; each worker broadcasts to its own. */
  fanout: 'primary-ipc';
  transports: string[];
  pingIntervalMs: number;
  pingTimeoutMs: number;
  maxHttpBufferSize: number;
  connectTimeoutMs: number;
  /** Recycling: new sessions per worker (+ jitter), resident memory cap, minimum life, drain window; 0 = off. */
  maxSessionsPerWorker: number;
  maxSessionsJitter: number;
  maxWorkerRssMb: number;
  minWorkerLifetimeMs: number;
  drainWindowMs: number;
  /** `redis`: instances share one poller and demand; `none`: this instance polls on its own. */
  coordination: 'redis' | 'none';
  /** The machine named in session ids (fly-replay target), if any. */
  instance: string | null;
}

export function topologyReport(c: Config, liveWorkers: number): TopologyReport {
  return {
    workers: liveWorkers,
    sticky: c.STICKY,
    fanout: 'primary-ipc',
    transports: [...c.TRANSPORTS],
    pingIntervalMs: c.PING_INTERVAL_MS,
    pingTimeoutMs: c.PING_TIMEOUT_MS,
    maxHttpBufferSize: c.MAX_HTTP_BUFFER_SIZE,
    connectTimeoutMs: c.CONNECT_TIMEOUT_MS,
    maxSessionsPerWorker: c.MAX_SESSIONS_PER_WORKER,
    maxSessionsJitter: c.MAX_SESSIONS_JITTER,
    maxWorkerRssMb: c.MAX_WORKER_RSS_MB,
    minWorkerLifetimeMs: c.MIN_WORKER_LIFETIME_MS,
    drainWindowMs: c.DRAIN_WINDOW_MS,
    coordination: c.REDIS_URL ? 'redis' : 'none',
    instance: c.SESSION_INSTANCE ?? null,
  };
}

/**
 * The warning for a machine the platform names (Fly) without REDIS_URL: sessions are safe
 * (ids name the machine; a stray request is replayed), but every machine polls upstream on its
 * own and counts only its own viewers. Null when there is nothing to say.
 */
export function uncoordinatedInstance(c: Pick<Config, 'REDIS_URL' | 'FLY_MACHINE_ID'>): string | null {
  if (c.REDIS_URL || !c.FLY_MACHINE_ID) return null;
  return (
    `FLY_MACHINE_ID=${c.FLY_MACHINE_ID} and no REDIS_URL: if this app runs on more than one machine (Fly's default for a first deploy is two), ` +
    `each machine polls upstream on its own, multiplying the calls against the upstream's budget. ` +
    `Fix: set REDIS_URL (e.g. \`fly redis create\`, then \`fly secrets set REDIS_URL=…\`) so the machines share one poller, or run one machine (\`fly scale count 1\`).`
  );
}

/**
 * The seed's failure as a startup check: several workers, long-polling allowed and no
 * stickiness means polls land on workers that do not own their session (400 Session ID
 * unknown). Returns the message to refuse startup with, or null when the topology is safe.
 */
export function unsafeTopology(c: Pick<Config, 'WEB_CONCURRENCY' | 'TRANSPORTS' | 'STICKY' | 'ALLOW_UNSAFE_TOPOLOGY'>): string | null {
  if (c.WEB_CONCURRENCY <= 1 || !c.TRANSPORTS.includes('polling') || c.STICKY || c.ALLOW_UNSAFE_TOPOLOGY) return null;
  return (
    `Refusing to start: WEB_CONCURRENCY=${c.WEB_CONCURRENCY} with STICKY=false and long-polling enabled ` +
    `(TRANSPORTS=${c.TRANSPORTS.join(',')}) sends polls to workers that do not own the session, ` +
    `which answer "400 Session ID unknown" and clients flicker "Disconnected". ` +
    `Fix: set STICKY=true (the default), or WEB_CONCURRENCY=1, or TRANSPORTS=websocket. ` +
    `To reproduce the failure on purpose, set ALLOW_UNSAFE_TOPOLOGY=true.`
  );
}

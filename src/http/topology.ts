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

/** The `topology` check of `/readyz`: the process model and its settings, `liveWorkers` as the primary last counted them. */
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

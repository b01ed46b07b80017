import type { Config } from '../config/config.js';

/** What `/readyz` says of the process model. */
export interface TopologyReport {
  workers: number;
  sticky: boolean;
  adapter: 'cluster';
  transports: string[];
  pingIntervalMs: number;
  pingTimeoutMs: number;
  maxHttpBufferSize: number;
  connectTimeoutMs: number;
  maxRequests: number;
  maxRequestsJitter: number;
}

export function topologyReport(c: Config, liveWorkers: number): TopologyReport {
  return {
    workers: liveWorkers,
    sticky: c.STICKY,
    adapter: 'cluster',
    transports: [...c.TRANSPORTS],
    pingIntervalMs: c.PING_INTERVAL_MS,
    pingTimeoutMs: c.PING_TIMEOUT_MS,
    maxHttpBufferSize: c.MAX_HTTP_BUFFER_SIZE,
    connectTimeoutMs: c.CONNECT_TIMEOUT_MS,
    maxRequests: c.MAX_REQUESTS,
    maxRequestsJitter: c.MAX_REQUESTS_JITTER,
  };
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

import type { Config } from './config.js';

// Startup checks on settings taken together (the primary runs them before it forks a worker):
// each returns what to say, or null when the combination is fine.

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

import { createRequire } from 'node:module';
import type * as NodeRedis from 'redis';

const require = createRequire(import.meta.url);
let loaded: typeof NodeRedis | undefined;

/**
 * node-redis, loaded on first use (it is CommonJS, so synchronously): ~650 modules, ~28 MiB of
 * resident memory and ~0.2 s of loading that an instance without REDIS_URL never needs. Only
 * the Redis coordinator and the Redis call window call it, and only they import `redis`.
 */
export function nodeRedis(): typeof NodeRedis {
  return (loaded ??= require('redis') as typeof NodeRedis);
}

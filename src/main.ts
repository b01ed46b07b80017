import 'reflect-metadata';
import cluster from 'node:cluster';
import { ConfigError, loadConfig, type Config } from './config/config.js';

/**
 * Entry point of both process roles. The primary supervises and routes; each worker
 * runs the NestJS application. Both read the same validated config.
 */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nSee the README's configuration table for each variable's allowed values.\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  if (cluster.isPrimary) {
    const { runPrimary } = await import('./primary/primary.js');
    await runPrimary(config);
  } else {
    const { runWorker } = await import('./worker/worker.js');
    await runWorker(config);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`transit-tracker failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});

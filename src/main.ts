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
  if (config.OTEL_EXPORTER_OTLP_ENDPOINT) {
    // Before Nest and the feeds load, so every span of this process is exported.
    const { startTracing } = await import('./telemetry/tracing.js');
    const tracing = startTracing({
      endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
      serviceName: config.OTEL_SERVICE_NAME,
      role: cluster.isPrimary ? 'primary' : 'worker',
    });
    process.once('beforeExit', () => void tracing.shutdown());
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

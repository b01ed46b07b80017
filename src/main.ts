import 'reflect-metadata';
import cluster from 'node:cluster';
import { ConfigError, loadConfig, type Config } from './config/config.js';
import { stopTracing } from './telemetry/tracing-control.js';

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
    // Before Nest and the feeds load, so their `node:http` is the instrumented one and every
    // span of this process is exported. Exit paths flush with stopTracing() before process.exit().
    // Only here: the SDK costs each process ~40 MiB and ~0.4 s of loading (tracing-control.ts).
    await import('./telemetry/register.js');
    const { startTracing } = await import('./telemetry/tracing.js');
    const { readBuildInfo } = await import('./telemetry/build-info.js');
    startTracing({
      endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
      serviceName: config.OTEL_SERVICE_NAME,
      role: cluster.isPrimary ? 'primary' : 'worker',
      workerId: cluster.worker?.id,
      version: readBuildInfo().version,
    });
    process.once('beforeExit', () => void stopTracing(2_000));
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

/**
 * The two servers the capacity benchmark compares, started the same way and stopped by
 * SIGTERM: the service by its production command and environment (deploy/production.json,
 * with the overrides {@link SERVICE_OVERRIDES} lists), and the plain Socket.IO reference.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readJsonLines } from '../../scripts/predeploy/json-lines.ts';
import { startTopology } from '../../test/support/topology.ts';

export type TargetName = 'service' | 'reference';

export interface Target {
  name: TargetName;
  url: string;
  /** Pid of the primary (its children are the workers). */
  pid: number;
  stop: () => Promise<void>;
}

const root = path.resolve(import.meta.dirname, '../..');

/**
 * What the benchmark changes in the production environment, and why:
 * - a simulated fleet of 20 vehicles polled every second: a ~2 KB delta each second, the
 *   payload the reference sends;
 * - recycling off (`MAX_SESSIONS_PER_WORKER=0`, `MAX_WORKER_RSS_MB=0`): a step opens
 *   thousands of sessions and holds far more memory than production, and the reference
 *   does not recycle at all;
 * - `MAX_CONNECTIONS=0`: the default cap of 10,000 open connections would refuse the larger
 *   websocket steps, which are the point of the benchmark.
 * Addresses come from the test topology: 127.0.0.1, ephemeral ports.
 */
export const SERVICE_OVERRIDES: Readonly<Record<string, string>> = {
  FEED: 'simulator',
  SIMULATOR_VEHICLES: '20',
  POLL_INTERVAL_MS: '1000',
  MAX_SESSIONS_PER_WORKER: '0',
  MAX_WORKER_RSS_MB: '0',
  MAX_CONNECTIONS: '0',
  // Thousands of clients from 127.0.0.1: no per-address handshake limit.
  HANDSHAKES_PER_MINUTE_PER_IP: '0',
};

/** Production's environment without its listen addresses (the test topology sets loopback ones). */
function productionEnv(): Record<string, string> {
  const { env } = JSON.parse(readFileSync(path.join(root, 'deploy/production.json'), 'utf8')) as { env: Record<string, string> };
  const { PORT: _p, HOST: _h, METRICS_PORT: _m, METRICS_HOST: _mh, ...rest } = env;
  return rest;
}

export async function startService(): Promise<Target> {
  const app = await startTopology({ ...productionEnv(), ...SERVICE_OVERRIDES });
  return {
    name: 'service',
    url: app.base,
    pid: app.proc.pid!,
    stop: async () => void (await app.stop()),
  };
}

export async function startReference(): Promise<Target> {
  const proc = spawn(process.execPath, [path.join(import.meta.dirname, 'reference-server.ts')], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PORT: '0' } });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('reference server did not start within 20 s')), 20_000);
    readJsonLines(
      proc.stdout!,
      (line) => {
        if (line.event !== 'listening') return;
        clearTimeout(timer);
        resolve(line.port as number);
      },
      (text) => process.stderr.write(`reference: ${text}\n`),
    );
    void exited.then(() => reject(new Error(`reference server exited with ${proc.exitCode}`)));
  });
  return {
    name: 'reference',
    url: `http://127.0.0.1:${port}`,
    pid: proc.pid!,
    stop: async () => {
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

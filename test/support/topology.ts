import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadProduction, resolveCommand, ROOT } from '../../scripts/predeploy/production.ts';
import { StartError, startService } from '../../scripts/predeploy/service.ts';

/**
 * The production command of deploy/production.json (what `npm start`, the Dockerfile and
 * fly.toml run, V8 flags included), with `node` resolved to this Node binary. Its arguments
 * are relative to {@link ROOT}.
 */
export const COMMAND = resolveCommand(loadProduction().command);

/** The built entry point the command runs (`dist/main.js`), as an absolute path. */
export const MAIN = path.resolve(ROOT, COMMAND.args.find((a) => a.endsWith('.js')) ?? 'dist/main.js');

/** Spawns the production command in {@link ROOT} with exactly `env`, stdout and stderr piped. */
export function spawnCommand(env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(COMMAND.file, COMMAND.args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A running production command (primary and workers) and what it said. */
export interface Topology {
  port: number;
  metricsPort: number;
  base: string;
  proc: ChildProcess;
  /** Every JSON log line so far. */
  logs: Record<string, unknown>[];
  /** Raw stderr so far. */
  stderr: () => string;
  /** Worker ids in the order they became ready (from the primary's logs). */
  readyWorkers: () => number[];
  /** Pid of a worker, from its log lines. */
  workerPid: (id: number) => number | undefined;
  /** SIGTERM, then wait for exit; resolves with the exit code. */
  stop: () => Promise<number | null>;
}

/** Settings every test topology shares: loopback only, both ports ephemeral, quiet logs. */
export const TEST_ENV: Record<string, string> = {
  PORT: '0',
  HOST: '127.0.0.1',
  METRICS_PORT: '0',
  LOG_LEVEL: 'info',
  LOG_FORMAT: 'json',
  GRACEFUL_TIMEOUT_MS: '5000',
};

/** This process's environment without unset entries. */
const inherited = (): Record<string, string> => Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));

/**
 * Starts the production command with `env` on top of {@link TEST_ENV} (through the harness's
 * process starter, scripts/predeploy/service.ts) and resolves once the primary logs
 * `listening` (all workers ready). Rejects with the process's output if it exits first or
 * takes longer than `timeoutMs`.
 */
export async function startTopology(env: Record<string, string>, timeoutMs = 45_000): Promise<Topology> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" (npm test does it first)`);
  const service = await startService({ ...COMMAND, cwd: ROOT, env: { ...inherited(), ...TEST_ENV, ...env, NODE_ENV: 'production' }, timeoutMs }).catch((e: unknown) => {
    if (!(e instanceof StartError)) throw e;
    throw new Error(`topology: ${e.message}\nstderr:\n${e.stderr}\nlogs:\n${e.logs.map((l) => JSON.stringify(l)).join('\n')}`);
  });
  return {
    port: service.port,
    metricsPort: service.metricsPort,
    base: `http://127.0.0.1:${service.port}`,
    proc: service.proc,
    logs: service.logs,
    stderr: service.stderr,
    readyWorkers: () => [...service.readyOrder],
    workerPid: (id) => service.workers.get(id)?.pid,
    stop: () => service.stop(15_000),
  };
}

/** Runs the production command expecting it to refuse to start; resolves with code and stderr. */
export function runExpectingExit(env: Record<string, string>, timeoutMs = 20_000): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawnCommand({ ...process.env, ...TEST_ENV, ...env });
    let stderr = '';
    proc.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    proc.stdout!.resume();
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`expected the process to exit, but it still ran after ${timeoutMs} ms`));
    }, timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

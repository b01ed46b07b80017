import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { readJsonLines } from '../../scripts/predeploy/json-lines.ts';

/** The built entry point that `npm start` runs. */
export const MAIN = path.resolve(import.meta.dirname, '../../dist/main.js');

/** A running `node dist/main.js` (the production command) and what it said. */
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

/**
 * Starts the production command with `env` on top of {@link TEST_ENV} and resolves once
 * the primary logs `listening` (all workers ready). Rejects with the process's output if it
 * exits first or takes longer than `timeoutMs`.
 */
export async function startTopology(env: Record<string, string>, timeoutMs = 45_000): Promise<Topology> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" (npm test does it first)`);
  const proc = spawn(process.execPath, [MAIN], {
    env: { ...process.env, ...TEST_ENV, ...env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  readJsonLines(
    proc.stdout!,
    (line) => logs.push(line),
    (text) => (stderr += `${text}\n`),
  );
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));

  const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => fail(`did not start within ${timeoutMs} ms`), timeoutMs);
    const poll = setInterval(() => {
      const line = logs.find((l) => l.event === 'listening');
      if (line) done(line);
    }, 20);
    void exited.then((code) => fail(`exited with code ${code} before listening`));
    function done(line: Record<string, unknown>) {
      clearTimeout(timer);
      clearInterval(poll);
      resolve(line);
    }
    function fail(why: string) {
      clearTimeout(timer);
      clearInterval(poll);
      proc.kill('SIGKILL');
      reject(new Error(`topology ${why}\nstderr:\n${stderr}\nlogs:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`));
    }
  });

  const port = listening.port as number;
  return {
    port,
    metricsPort: listening.metricsPort as number,
    base: `http://127.0.0.1:${port}`,
    proc,
    logs,
    stderr: () => stderr,
    readyWorkers: () => logs.filter((l) => l.msg === 'worker ready').map((l) => l.worker as number),
    workerPid: (id) => logs.find((l) => l.role === 'worker' && l.worker === id)?.pid as number | undefined,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

/** Runs the production command expecting it to refuse to start; resolves with code and stderr. */
export function runExpectingExit(env: Record<string, string>, timeoutMs = 20_000): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [MAIN], { env: { ...process.env, ...TEST_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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

/**
 * Runs the production command as a child process and follows its JSON log lines: the ports
 * from `listening`, workers (ready, pid, recycle, drain, exit) and drain deadlines missed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { track } from './children.ts';
import { readJsonLines } from './json-lines.ts';

export type LogLine = Record<string, unknown> & { receivedAt: number };

export interface WorkerInfo {
  id: number;
  pid?: number;
  readyAt?: number;
  recycleAt?: number;
  drainAt?: number;
  drainCause?: string;
  drainSessions?: number;
  exitAt?: number;
  exitCause?: string;
}

export interface Service {
  port: number;
  metricsPort: number;
  proc: ChildProcess;
  logs: LogLine[];
  stderr: () => string;
  workers: Map<number, WorkerInfo>;
  /** Workers ready and not yet draining or gone. */
  liveWorkers: () => WorkerInfo[];
  /** Set when the primary exits; `stop()` sets `stopping` first. */
  exited: () => { code: number | null; signal: string | null; at: number; expected: boolean } | undefined;
  /** Lines where a worker missed GRACEFUL_TIMEOUT_MS and was killed. */
  drainTimeouts: () => number;
  stop: (graceMs: number) => Promise<number | null>;
}

export class StartError extends Error {
  readonly code: number | null;
  readonly stderr: string;
  constructor(message: string, code: number | null, stderr: string) {
    super(message);
    this.name = 'StartError';
    this.code = code;
    this.stderr = stderr;
  }
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** Starts `file args` in `cwd` and resolves once the primary logs `listening`. */
export function startService(opts: { file: string; args: string[]; cwd: string; env: Record<string, string>; timeoutMs?: number }): Promise<Service> {
  const proc = track(spawn(opts.file, opts.args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] }));
  const logs: LogLine[] = [];
  const workers = new Map<number, WorkerInfo>();
  let stderr = '';
  let drainTimeouts = 0;
  let stopping = false;
  let exitInfo: ReturnType<Service['exited']>;
  const worker = (id: number) => {
    let w = workers.get(id);
    if (!w) workers.set(id, (w = { id }));
    return w;
  };

  const onLine = (line: LogLine) => {
    logs.push(line);
    const id = num(line.worker);
    const parsed = typeof line.time === 'string' ? Date.parse(line.time) : num(line.time);
    const at = parsed !== undefined && Number.isFinite(parsed) ? parsed : line.receivedAt;
    if (id === undefined) return;
    const w = worker(id);
    if (line.role === 'worker' && w.pid === undefined) w.pid = num(line.pid);
    if (line.msg === 'worker ready') w.readyAt = at;
    if (line.event === 'worker_recycle') w.recycleAt = at;
    if (line.event === 'worker_drain') {
      w.drainAt = at;
      w.drainCause = String(line.cause);
      w.drainSessions = num(line.sessions);
    }
    if (line.event === 'worker_exit') {
      w.exitAt = at;
      w.exitCause = String(line.cause);
    }
    if (typeof line.msg === 'string' && line.msg.includes('did not drain within GRACEFUL_TIMEOUT_MS')) drainTimeouts += 1;
  };

  readJsonLines(
    proc.stdout!,
    (line) => onLine({ ...line, receivedAt: Date.now() }),
    (text) => (stderr += `${text}\n`),
  );
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code, signal) => {
      exitInfo = { code, signal, at: Date.now(), expected: stopping };
      resolve(code);
    }),
  );

  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise<Service>((resolve, reject) => {
    const timer = setTimeout(() => fail(`did not log "listening" within ${timeoutMs} ms`, null), timeoutMs);
    const poll = setInterval(() => {
      const line = logs.find((l) => l.event === 'listening');
      if (line) done(line);
    }, 25);
    void exited.then((code) => fail(`exited with code ${code} before listening`, code));
    function done(line: LogLine) {
      clearTimeout(timer);
      clearInterval(poll);
      resolve({
        port: line.port as number,
        metricsPort: line.metricsPort as number,
        proc,
        logs,
        stderr: () => stderr,
        workers,
        liveWorkers: () => [...workers.values()].filter((w) => w.readyAt !== undefined && w.drainAt === undefined && w.recycleAt === undefined && w.exitAt === undefined),
        exited: () => exitInfo,
        drainTimeouts: () => drainTimeouts,
        stop: async (graceMs) => {
          stopping = true;
          if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
          const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
          const code = await exited;
          clearTimeout(t);
          return code;
        },
      });
    }
    function fail(why: string, code: number | null) {
      clearTimeout(timer);
      clearInterval(poll);
      if (proc.exitCode === null) proc.kill('SIGKILL');
      // Let the last output arrive before reporting it.
      setTimeout(() => reject(new StartError(`the production command ${why}`, code, stderr.trim())), 100);
    }
  });
}

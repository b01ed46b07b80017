/**
 * Runs the production command as a child process and follows its JSON log lines: the ports
 * from `listening`, workers (ready, pid, recycle, drain, exit) and drain deadlines missed.
 * The one process starter of the repository: the pre-deploy harness and the integration
 * tests (test/support/topology.ts) both start `node dist/main.js` through it.
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
  /** The `listening` line (port, metricsPort, workers, sticky, feed, …). */
  listening: LogLine;
  metricsPort: number;
  proc: ChildProcess;
  logs: LogLine[];
  stderr: () => string;
  workers: Map<number, WorkerInfo>;
  /** Worker ids in the order they became ready. */
  readyOrder: number[];
  /** Workers ready and not yet draining or gone. */
  liveWorkers: () => WorkerInfo[];
  /** Set when the primary exits; `stop()` sets `stopping` first. */
  exited: () => { code: number | null; signal: string | null; at: number; expected: boolean } | undefined;
  /** Workers killed for missing their drain deadline (DRAIN_WINDOW_MS + GRACEFUL_TIMEOUT_MS) before the stop. */
  drainTimeouts: () => number;
  stop: (graceMs: number) => Promise<number | null>;
}

export class StartError extends Error {
  readonly code: number | null;
  readonly stderr: string;
  /** The JSON log lines before it gave up. */
  readonly logs: LogLine[];
  constructor(message: string, code: number | null, stderr: string, logs: LogLine[] = []) {
    super(message);
    this.name = 'StartError';
    this.code = code;
    this.stderr = stderr;
    this.logs = logs;
  }
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** What a log line reports: its structured `event` field (never its message text). */
export function eventOf(line: Record<string, unknown>): string | undefined {
  return typeof line.event === 'string' ? line.event : undefined;
}

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

  let onListening: (line: LogLine) => void = () => undefined;
  const readyOrder: number[] = [];
  const onLine = (line: LogLine) => {
    logs.push(line);
    const event = eventOf(line);
    if (event === 'listening') return onListening(line);
    // The stop after the soak is not a recycle: its kills are not the verdict's drain timeouts.
    if (event === 'worker_drain_timeout' && line.cause !== 'shutdown') drainTimeouts += 1;
    const id = num(line.worker);
    if (id === undefined) return;
    const parsed = typeof line.time === 'string' ? Date.parse(line.time) : num(line.time);
    const at = parsed !== undefined && Number.isFinite(parsed) ? parsed : line.receivedAt;
    const w = worker(id);
    if (line.role === 'worker' && w.pid === undefined) w.pid = num(line.pid);
    if (event === 'worker_ready') {
      w.readyAt = at;
      readyOrder.push(id);
    }
    if (event === 'worker_recycle') w.recycleAt = at;
    if (event === 'worker_drain') {
      w.drainAt = at;
      w.drainCause = String(line.cause);
      w.drainSessions = num(line.sessions);
    }
    if (event === 'worker_exit') {
      w.exitAt = at;
      w.exitCause = String(line.cause);
    }
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
    void exited.then((code) => fail(`exited with code ${code} before listening`, code));
    onListening = (line) => {
      clearTimeout(timer);
      resolve({
        port: line.port as number,
        metricsPort: line.metricsPort as number,
        listening: line,
        proc,
        logs,
        stderr: () => stderr,
        workers,
        readyOrder,
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
    };
    function fail(why: string, code: number | null) {
      clearTimeout(timer);
      onListening = () => undefined;
      if (proc.exitCode === null) proc.kill('SIGKILL');
      // Let the last output arrive before reporting it.
      setTimeout(() => reject(new StartError(`the production command ${why}`, code, stderr.trim(), logs)), 100);
    }
  });
}

import { spawn } from 'node:child_process';
import { freePort } from '../../scripts/predeploy/free-port.ts';
import { findCommand } from '../../scripts/system-command.mjs';

/** A throwaway redis-server (Debian package `redis-server`) on a free loopback port. */
export interface RedisServer {
  url: string;
  port: number;
  stop: () => Promise<void>;
  /** SIGSTOP: the socket stays open and nothing answers (a hung Redis); `resume` sends SIGCONT. */
  pause: () => void;
  resume: () => void;
}

/** Starts redis-server on `port` (a free loopback port unless given: reuse one to restart "the same" Redis). */
export async function startRedis(port?: number): Promise<RedisServer> {
  const bin = findCommand('redis-server');
  if (!bin) {
    throw new Error('redis-server is not installed: apt-get install -y --no-install-recommends redis-server (npm test installs it)');
  }
  port ??= await freePort();
  const proc = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 10_000);
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code) => reject(new Error(`redis-server exited (${code}):\n${out}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: async () => {
      if (proc.exitCode !== null) return;
      proc.kill('SIGCONT');
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    },
    pause: () => void proc.kill('SIGSTOP'),
    resume: () => void proc.kill('SIGCONT'),
  };
}

/**
 * A real HAProxy (Debian's `haproxy`) in front of the service, with the idle timeouts under
 * test: `timeout client/server` cut a long-poll that waits longer, `timeout tunnel` an idle
 * websocket. Both must exceed Engine.IO's pingInterval + pingTimeout.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { track } from './children.ts';
import { freePort } from './free-port.ts';
import { findCommand } from '../system-command.mjs';

export interface ProxyTimeouts {
  clientMs: number;
  serverMs: number;
  tunnelMs: number;
}

export interface Haproxy {
  url: string;
  port: number;
  config: string;
  timeouts: ProxyTimeouts;
  version: string;
  stderr: () => string;
  stop: () => Promise<void>;
}

/** `global` and `defaults`, shared by every configuration: HTTP keep-alive and the timeouts under test. */
export function haproxyDefaults(t: ProxyTimeouts): string[] {
  return [
    'global',
    '  maxconn 4096',
    '',
    'defaults',
    '  mode http',
    '  option http-keep-alive',
    '  timeout connect 5s',
    `  timeout client ${t.clientMs}ms`,
    `  timeout server ${t.serverMs}ms`,
    `  timeout tunnel ${t.tunnelMs}ms`,
    '  timeout http-request 10s',
    `  timeout http-keep-alive ${Math.min(t.clientMs, 60_000)}ms`,
    '',
  ];
}

/** The configuration: one frontend on 127.0.0.1:`listenPort`, one server at `targetPort`. */
export function haproxyConfig(listenPort: number, targetPort: number, t: ProxyTimeouts): string {
  return [
    ...haproxyDefaults(t),
    'frontend public',
    `  bind 127.0.0.1:${listenPort}`,
    '  default_backend app',
    '',
    'backend app',
    `  server app1 127.0.0.1:${targetPort}`,
    '',
  ].join('\n');
}

/** Starts HAProxy in the foreground (`-db`) and resolves once its port accepts connections. */
export function startHaproxy(targetPort: number, timeouts: ProxyTimeouts): Promise<Haproxy> {
  return startHaproxyWith((port) => haproxyConfig(port, targetPort, timeouts), timeouts);
}

/** {@link startHaproxy} with the configuration `configFor(listenPort)` writes (e.g. several servers). */
export async function startHaproxyWith(configFor: (listenPort: number) => string, timeouts: ProxyTimeouts): Promise<Haproxy> {
  const bin = findCommand('haproxy');
  if (!bin) throw new Error('HAProxy is not installed: apt-get install -y --no-install-recommends haproxy');
  const version = spawnSync(bin, ['-v'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? '';
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'predeploy-haproxy-'));
  const file = path.join(dir, 'haproxy.cfg');
  const config = configFor(port);
  writeFileSync(file, config);
  const check = spawnSync(bin, ['-c', '-f', file], { encoding: 'utf8' });
  if (check.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`haproxy -c refused the configuration:\n${check.stdout}${check.stderr}\n${config}`);
  }
  const proc: ChildProcess = track(spawn(bin, ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] }));
  let stderr = '';
  proc.stdout!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`HAProxy did not start:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    config,
    timeouts,
    version,
    stderr: () => stderr,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

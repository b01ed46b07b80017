/**
 * One client generator of the capacity benchmark (a child process; `main.ts` forks two so
 * the clients use both cores). Opens `count` socket.io-client 4.8 clients of one kind at
 * `rate` a second, records every `vehicles:delta` it receives, counts what went wrong by
 * kind, and reports when asked. Clients never reconnect and never upgrade.
 *
 * Client kinds:
 * - `websocket`: the websocket transport only.
 * - `polling-xhr`: long-polling through socket.io-client's Node XHR polyfill with no agent,
 *   so every request opens (and closes) its own TCP connection.
 * - `polling-keepalive`: long-polling with a keep-alive `http.Agent` per client (two
 *   sockets, as a browser tab keeps its connections to one origin).
 */
import { Agent } from 'node:http';
import { io, type Socket } from 'socket.io-client';
import { ReceiptLog, type VersionReceipts } from './receipts.ts';

export type ClientKind = 'websocket' | 'polling-xhr' | 'polling-keepalive';

export type GeneratorCommand =
  | { t: 'start'; url: string; kind: ClientKind; count: number; rate: number; connectTimeoutMs: number }
  | { t: 'report'; from: number; to: number }
  | { t: 'stop' };

/** What went wrong, by kind: `connect_400`, `session_400`, `lost_connect`, `connect_error:<msg>`, `disconnect:<reason>`. */
export type ErrorCounts = Record<string, number>;

export type GeneratorEvent =
  | { t: 'progress'; connected: number; settled: number }
  | { t: 'report'; connected: number; open: number; errors: ErrorCounts; versions: VersionReceipts[] };

const send = (e: GeneratorEvent) => process.send!(e);
const sockets: Socket[] = [];
const log = new ReceiptLog();
const errors: ErrorCounts = {};
const count = (kind: string) => (errors[kind] = (errors[kind] ?? 0) + 1);
let connected = 0;
let settled = 0;

/** The HTTP status behind a socket.io-client transport error, when there is one. */
const statusOf = (err: unknown): unknown => (err as { description?: unknown } | undefined)?.description;

function open(url: string, kind: ClientKind, connectTimeoutMs: number): void {
  const s = io(url, {
    transports: [kind === 'websocket' ? 'websocket' : 'polling'],
    upgrade: false,
    forceNew: true,
    reconnection: false,
    timeout: connectTimeoutMs,
    ...(kind === 'polling-keepalive' ? { agent: new Agent({ keepAlive: true, maxSockets: 2 }) as unknown as string } : {}),
  });
  let done = false;
  const settle = () => {
    if (!done) settled += 1;
    done = true;
  };
  s.once('connect', () => {
    connected += 1;
    settle();
  });
  let wasConnected = false;
  s.once('connect', () => (wasConnected = true));
  s.once('connect_error', (err) => {
    if (err.message === 'timeout') count('lost_connect');
    else count(statusOf(err) === 400 ? 'connect_400' : `connect_error:${err.message}`);
    settle();
  });
  s.on('disconnect', (reason, details) => {
    if (reason === 'io client disconnect') return;
    if (reason === 'transport error' && statusOf(details) === 400) count(wasConnected ? 'session_400' : 'connect_400');
    else count(`disconnect:${reason}`);
  });
  s.on('vehicles:delta', (d: { version: number; generatedAt: number }) => log.record(d.version, d.generatedAt, Date.now()));
  sockets.push(s);
}

process.on('message', async (cmd: GeneratorCommand) => {
  if (cmd.t === 'start') {
    const perTick = Math.max(1, Math.round(cmd.rate / 20));
    const progress = setInterval(() => send({ t: 'progress', connected, settled }), 250);
    for (let i = 0; i < cmd.count; i += perTick) {
      for (let j = i; j < Math.min(cmd.count, i + perTick); j++) open(cmd.url, cmd.kind, cmd.connectTimeoutMs);
      await new Promise((r) => setTimeout(r, 50));
    }
    const until = Date.now() + cmd.connectTimeoutMs + 1_000;
    while (settled < cmd.count && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    clearInterval(progress);
    send({ t: 'progress', connected, settled });
  } else if (cmd.t === 'report') {
    send({ t: 'report', connected, open: sockets.filter((s) => s.connected).length, errors, versions: log.between(cmd.from, cmd.to) });
  } else {
    for (const s of sockets) s.close();
    setTimeout(() => process.exit(0), 200).unref();
  }
});

/**
 * A preload for profiling (`profile.ts --target service --plain-worker`): every worker of the
 * service runs a plain Socket.IO server instead of the Nest app, behind the service's own
 * primary (router, hand-off lane, poller, supervisor). It speaks the primary's side of the IPC
 * contract (`src/ipc/messages.ts`): `ready` with its loopback port, `conns` reports (batched
 * as the real worker batches them), `viewers` as the heartbeat (demand keeps the poller
 * running); it takes `conn` hand-offs the way the real worker does and `io.local.emit`s each
 * delta, a snapshot on connect, like the reference's workers. No session guard, no metrics,
 * no security headers, no output cap, nothing of Nest loaded (env `PLAIN_WORKER_LOAD`: a
 * comma-separated list of modules to import first, unused, to bisect what loading costs).
 *
 * What it answers: which part of a difference between the service and the reference is the
 * process model (same in both runs) and which is the worker's application. Loaded last: its
 * top-level await never settles, so the worker's real entry (dist/main.js) never runs, while
 * the preloads before it (gc-count.ts, …) do. A benchmark tool, never shipped.
 */
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Server } from 'socket.io';

/**
 * The slice of the IPC contract (`src/ipc/messages.ts`) this tool speaks. The benchmarks are
 * type-checked apart from src, so the types are restated here; at run time every message from
 * the primary goes through the contract's own guard (`isPrimaryMessage`, built).
 */
type FromPrimary = { t: 'conn'; cid: number; head: Uint8Array } | { t: 'data'; snapshot: unknown; delta?: unknown } | { t: 'drain' } | { t: 'other' };
type ToPrimary =
  | { t: 'ready'; internalPort: number }
  | { t: 'viewers'; sockets: number; lastFallbackAt: number }
  | { t: 'conns'; acked: number[]; closed: number[] };

if (cluster.isWorker) {
  for (const spec of (process.env.PLAIN_WORKER_LOAD ?? '').split(',').filter(Boolean)) await import(spec);
  // The built modules the primary's routing relies on: the session ids that name this worker, the beat interval.
  const built = '../../dist/';
  const { newSessionId } = (await import(`${built}shared/session-id.js`)) as { newSessionId: (workerId: number) => string };
  const { beatIntervalMs } = (await import(`${built}ipc/heartbeat.js`)) as { beatIntervalMs: (timeoutMs: number) => number };
  const { isPrimaryMessage } = (await import(`${built}ipc/messages.js`)) as { isPrimaryMessage: (m: unknown) => boolean };
  const workerId = cluster.worker!.id;
  const send = (m: ToPrimary) => process.send!(m);
  const http = createServer();
  const io = new Server(http, { transports: ['polling', 'websocket'] });
  io.engine.generateId = () => newSessionId(workerId);
  let snapshot: unknown = null;
  io.on('connection', (socket) => {
    if (snapshot) socket.emit('vehicles:snapshot', snapshot);
  });

  let acked: number[] = [];
  let closed: number[] = [];
  let scheduled = false;
  const report = () => {
    if (scheduled) return;
    scheduled = true;
    setTimeout(() => {
      scheduled = false;
      send({ t: 'conns', acked, closed });
      acked = [];
      closed = [];
    }, 20).unref();
  };

  process.on('message', (msg: unknown, socket?: Socket) => {
    if (!isPrimaryMessage(msg)) return;
    const m = msg as FromPrimary;
    if (m.t === 'conn' && socket) {
      acked.push(m.cid);
      report();
      socket.once('close', () => {
        closed.push(m.cid);
        report();
      });
      http.emit('connection', socket);
      socket.emit('data', Buffer.from(m.head));
      socket.resume();
    } else if (m.t === 'data') {
      snapshot = m.snapshot;
      if (m.delta) io.local.emit('vehicles:delta', m.delta);
    } else if (m.t === 'drain') {
      process.exit(0);
    }
  });
  const beat = () => send({ t: 'viewers', sockets: io.engine.clientsCount, lastFallbackAt: 0 });
  setInterval(beat, beatIntervalMs(Number(process.env.WORKER_TIMEOUT_MS ?? 30_000))).unref();
  http.listen(0, '127.0.0.1', () => {
    send({ t: 'ready', internalPort: (http.address() as AddressInfo).port });
    beat();
  });
  await new Promise(() => undefined);
}

import { io, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/clients.js';
import { recordFigure } from '../support/figures.js';
import { startTopology, type Topology } from '../support/topology.js';
import { scrape, sumOf } from './metrics-text.js';

let app: Topology | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await app?.stop();
  app = undefined;
});

/** The reconnect counters of the whole instance (every worker), by signal, and all connects. */
async function counts(metricsPort: number): Promise<{ pid: number; auth: number; connects: number }> {
  const m = await scrape(metricsPort);
  return {
    pid: sumOf(m, 'transit_socket_reconnects_total', { signal: 'pid' }),
    auth: sumOf(m, 'transit_socket_reconnects_total', { signal: 'auth_connects' }),
    connects: sumOf(m, 'transit_socket_connects_total'),
  };
}

/** A stock socket.io-client, as a page that knows nothing of this service would open it. */
function stockClient(base: string, opts: { transports: ('polling' | 'websocket')[]; auth?: Record<string, unknown> }): { socket: Socket; connects: () => number } {
  let connects = 0;
  const socket = io(base, { transports: opts.transports, forceNew: true, reconnectionDelay: 50, reconnectionDelayMax: 200, auth: opts.auth });
  socket.on('connect', () => (connects += 1));
  sockets.push(socket);
  return { socket, connects: () => connects };
}

/** Drops the client's Engine.IO session `n` times (a network blip); socket.io-client reconnects each time. */
async function blips(c: { socket: Socket; connects: () => number }, n: number): Promise<void> {
  await waitFor(() => c.socket.connected, 15_000, 'first connect');
  for (let i = 0; i < n; i++) {
    const before = c.connects();
    c.socket.io.engine.close();
    await waitFor(() => c.socket.connected && c.connects() === before + 1, 15_000, `reconnect ${i + 1}`);
  }
}

describe('transit_socket_reconnects_total counts every Socket.IO client', () => {
  it('stock clients without auth.connects: N reconnects raise it by N (signal pid), new pages do not, auth.connects alone counts once', async () => {
    app = await startTopology({ WEB_CONCURRENCY: '2', POLL_INTERVAL_MS: '1000' }, 90_000);
    const before = await counts(app.metricsPort);

    // No auth at all (polling), and a client that reports its reconnects under another name (websocket).
    const polling = stockClient(app.base, { transports: ['polling'] });
    const websocket = stockClient(app.base, { transports: ['websocket'], auth: { reconnects: 0 } });
    await blips(polling, 5);
    await blips(websocket, 3);
    // Two fresh pages: first connects, not reconnects.
    const fresh = [stockClient(app.base, { transports: ['polling'] }), stockClient(app.base, { transports: ['websocket'] })];
    await waitFor(() => fresh.every((c) => c.socket.connected), 15_000, 'fresh pages connected');
    // The map's own client: auth.connects and a pid on its reconnect, counted once (as pid).
    let mapConnects = 0;
    const map = stockClient(app.base, { transports: ['polling'] });
    map.socket.auth = (cb) => cb({ clientId: 'page-1', connects: mapConnects });
    map.socket.on('connect', () => (mapConnects += 1));
    await blips(map, 2);
    // A page that opens a new Socket for its reconnect (no pid) but keeps counting: auth_connects.
    const reopened = stockClient(app.base, { transports: ['polling'], auth: { clientId: 'page-2', connects: 3 } });
    await waitFor(() => reopened.socket.connected, 15_000, 'reopened page connected');

    const reconnectsSeen = polling.connects() - 1 + websocket.connects() - 1 + map.connects() - 1;
    const after = await counts(app.metricsPort);
    const delta = { pid: after.pid - before.pid, auth: after.auth - before.auth, connects: after.connects - before.connects };
    recordFigure('reconnects of stock socket.io clients', { reconnectsSeen, ...delta });
    expect(reconnectsSeen).toBe(5 + 3 + 2);
    expect(delta.pid).toBe(5 + 3 + 2);
    expect(delta.auth).toBe(1);
    expect(delta.connects).toBe(reconnectsSeen + 6);
  }, 120_000);
});

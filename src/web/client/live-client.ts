/**
 * The Socket.IO side of the page: handshake auth, route subscription, snapshot/delta handling with
 * version-gap resync, and the connection events the status machine needs.
 * DOM-free (socket.io-client runs in Node too): tested against a real in-process Socket.IO server.
 */
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type { StatusEvent } from './status.js';
import { isDelta, isSnapshot } from '../../protocol/guards.js';
import type { HandshakeAuth, SubscribeAck, SubscribeRequest } from '../../protocol/wire.js';
import type { VehicleStore } from './vehicle-store.js';

export type { SubscribeAck } from '../../protocol/wire.js';

/** What arrives, as the page must treat it: unknown until `guards.ts` says otherwise. */
interface ServerToClientEvents {
  'vehicles:snapshot': (snapshot: unknown) => void;
  'vehicles:delta': (delta: unknown) => void;
}

interface ClientToServerEvents {
  subscribe: (request: SubscribeRequest, ack: (response: unknown) => void) => void;
}

export interface LiveClientOptions {
  /** Server origin; omitted in the browser (same origin). */
  url?: string;
  clientId: string;
  store: VehicleStore;
  /** Routes to subscribe to (empty = all). */
  routes: () => readonly string[];
  /** The agency to watch (`GET /api/config` lists them); null/absent = the server's default. */
  agency?: () => string | null;
  /** The store changed (snapshot or delta applied). */
  onData: (source: 'snapshot' | 'delta') => void;
  onStatus: (event: StatusEvent) => void;
  onSubscribeResult?: (result: SubscribeAck | { status: 'timeout' }) => void;
  now?: () => number;
  /** Extra Manager/Socket options (tests: transports, reconnection delays). */
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
  /** How long to wait for a resync snapshot before another resync may be asked for. */
  resyncTimeoutMs?: number;
  subscribeTimeoutMs?: number;
  /** Delay before reconnecting by hand after `io server disconnect` or a middleware rejection. */
  retryDelayMs?: () => number;
}

export class LiveClient {
  readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  private connects = 0;
  private resyncPending = false;
  private resyncTimer: ReturnType<typeof setTimeout> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private readonly now: () => number;
  /** Resyncs asked for because of a version gap (for tests and debugging). */
  resyncs = 0;

  constructor(private readonly opts: LiveClientOptions) {
    this.now = opts.now ?? Date.now;
    const options: Partial<ManagerOptions & SocketOptions> = {
      path: '/socket.io/',
      autoConnect: false,
      forceNew: true,
      // The callback form runs at every (re)connection attempt, so `connects` is always current.
      auth: (cb) => cb({ clientId: opts.clientId, connects: this.connects } satisfies HandshakeAuth),
      ...opts.socketOptions,
    };
    this.socket = opts.url === undefined ? io(options) : io(opts.url, options);
    this.wire();
  }

  /** Successful connections so far (what the next handshake sends as `connects`). */
  get connectCount(): number {
    return this.connects;
  }

  start(): void {
    this.closed = false;
    this.socket.connect();
  }

  close(): void {
    this.closed = true;
    this.clearTimers();
    this.socket.disconnect();
  }

  /** Sends the current route selection; the server answers with a fresh snapshot for it. */
  subscribe(): void {
    if (!this.socket.connected) return; // sent on the next `connect`
    const routes = [...this.opts.routes()];
    const agency = this.opts.agency?.() ?? null;
    const request: SubscribeRequest = agency === null ? { routes } : { routes, agency };
    this.socket.timeout(this.opts.subscribeTimeoutMs ?? 10_000).emit('subscribe', request, (err, response) => {
      if (err) {
        this.opts.onSubscribeResult?.({ status: 'timeout' });
        return;
      }
      this.opts.onSubscribeResult?.(parseAck(response));
    });
  }

  private wire(): void {
    const { socket } = this;

    socket.on('connect', () => {
      this.connects++;
      this.resyncPending = false;
      this.opts.onStatus({ type: 'connect', transport: socket.io.engine?.transport?.name ?? 'unknown', at: this.now() });
      // Subscriptions belong to the server-side socket, so every (re)connect subscribes again.
      this.subscribe();
    });

    socket.on('disconnect', (reason) => {
      this.opts.onStatus({ type: 'disconnect', reason, at: this.now() });
      // The Manager does not retry after a server-side disconnect; we do (e.g. a worker restarting).
      if (reason === 'io server disconnect') this.retryLater();
    });

    socket.on('connect_error', (err) => {
      this.opts.onStatus({ type: 'connect_error', message: err.message });
      // Rejected by a server middleware: the Manager will not retry on its own.
      if (!socket.active) this.retryLater();
    });

    socket.io.on('reconnect_attempt', (attempt) => this.opts.onStatus({ type: 'reconnect_attempt', attempt }));
    socket.io.on('reconnect_failed', () => this.opts.onStatus({ type: 'reconnect_failed' }));
    // A new Engine.IO connection per attempt; watch each for the polling → websocket upgrade.
    socket.io.on('open', () => {
      socket.io.engine.on('upgrade', (transport: { name: string }) =>
        this.opts.onStatus({ type: 'upgrade', transport: transport.name }),
      );
    });

    socket.on('vehicles:snapshot', (payload) => {
      if (!isSnapshot(payload)) return;
      this.opts.store.replace(payload);
      this.endResync();
      this.opts.onData('snapshot');
    });

    socket.on('vehicles:delta', (payload) => {
      if (!isDelta(payload)) return;
      const result = this.opts.store.applyDelta(payload);
      if (result.kind === 'applied') this.opts.onData('delta');
      else if (result.kind === 'gap') this.resync();
    });
  }

  /** Missed deltas: re-subscribing makes the server send a fresh snapshot. One at a time. */
  private resync(): void {
    if (this.resyncPending) return;
    this.resyncPending = true;
    this.resyncs++;
    this.subscribe();
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = null;
      this.resyncPending = false;
    }, this.opts.resyncTimeoutMs ?? 10_000);
  }

  private endResync(): void {
    this.resyncPending = false;
    if (this.resyncTimer !== null) clearTimeout(this.resyncTimer);
    this.resyncTimer = null;
  }

  private retryLater(): void {
    if (this.closed || this.retryTimer !== null) return;
    const delay = this.opts.retryDelayMs?.() ?? 2_000 + Math.random() * 3_000;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.closed && !this.socket.connected) this.socket.connect();
    }, delay);
  }

  private clearTimers(): void {
    this.endResync();
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}

function parseAck(response: unknown): SubscribeAck {
  if (typeof response === 'object' && response !== null) {
    const r = response as Record<string, unknown>;
    if (r['status'] === 'ok' && Array.isArray(r['routes'])) {
      const routes = r['routes'].filter((x): x is string => typeof x === 'string');
      return typeof r['agency'] === 'string' ? { status: 'ok', routes, agency: r['agency'] } : { status: 'ok', routes };
    }
    if (r['status'] === 'error') {
      return { status: 'error', message: typeof r['message'] === 'string' ? r['message'] : 'subscribe rejected' };
    }
  }
  return { status: 'error', message: 'unexpected subscribe response' };
}

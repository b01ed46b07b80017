import { Inject, UseFilters } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
  type OnGatewayConnection,
  type OnGatewayInit,
} from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import { CONFIG } from '../config/config.module.js';
import type { Config } from '../config/config.js';
import { feedAgencies } from '../feed/feed.factory.js';
import { LiveSockets } from '../live/live-sockets.js';
import { SnapshotCache } from '../live/snapshot-cache.js';
import { ViewerReporter } from '../live/viewer-reporter.js';
import { WorkerMetrics } from '../metrics/worker-metrics.js';
import { filterSnapshot, type RouteSet } from '../store/route-filter.js';
import { AckErrorFilter } from './ack-error.filter.js';
import { Broadcaster } from './broadcaster.js';
import { EVENT_LIMITS, type ClientToServerEvents, type ServerToClientEvents, type SocketData } from './events.js';
import { TokenBucket } from './token-bucket.js';
import { reconnectSignal } from './reconnect-signal.js';
import { setView } from './socket-view.js';
import { SubscribePipe } from './subscribe.pipe.js';
import type { SubscribeAck, Subscription } from './subscribe.schema.js';

const tracer = trace.getTracer('transit-tracker');

type TransitServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type TransitSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/**
 * Live vehicles over Socket.IO: a snapshot on connect, deltas after each change, and
 * route subscriptions. Thin: `SubscribePipe` validates, `AckErrorFilter` answers refusals,
 * `Broadcaster` fans updates out, the filters and payloads live in plain modules.
 */
@WebSocketGateway()
export class VehiclesGateway implements OnGatewayInit, OnGatewayConnection {
  @WebSocketServer() server!: TransitServer;

  constructor(
    @Inject(SnapshotCache) private readonly cache: SnapshotCache,
    @Inject(WorkerMetrics) private readonly metrics: WorkerMetrics,
    @Inject(ViewerReporter) private readonly viewers: ViewerReporter,
    @Inject(Broadcaster) private readonly broadcaster: Broadcaster,
    @Inject(LiveSockets) private readonly sockets: LiveSockets,
    @Inject(CONFIG) config: Config,
  ) {
    this.agencies = feedAgencies(config);
  }

  /** The agencies a client may pick (FEED_AGENCIES with FEED=511; none = one implicit agency). */
  private readonly agencies: readonly string[];

  /** What `socket.data.agency` holds for `agency`: with one agency or none there is nothing to filter. */
  private view(agency: string | null): string | null {
    return this.agencies.length > 1 ? agency : null;
  }

  afterInit(server: TransitServer): void {
    this.sockets.attach(server);
    server.engine.on('connection_error', (err: { code?: number; message?: string }) => {
      this.metrics.engineErrors.inc({ code: String(err.code ?? 'unknown'), message: err.message ?? '' });
    });
    this.cache.on('update', (u) => this.broadcaster.broadcast(server, u));
  }

  handleConnection(socket: TransitSocket): void {
    // The stock client's pid (offered by TransitIoAdapter), else the page's auth.connects.
    const signal = reconnectSignal(socket.handshake.auth);
    tracer
      .startSpan('socket.io connect', { attributes: { 'transit.transport': socket.conn.transport.name, 'transit.reconnect': signal !== null } })
      .end();
    this.metrics.connects.inc();
    if (signal) this.metrics.reconnects.inc({ signal });
    // Until it subscribes, a client watches every route of the default agency.
    setView(socket.data, null, this.view(this.agencies[0] ?? null));
    socket.data.version = 0;
    socket.data.events = new TokenBucket(EVENT_LIMITS.burst, EVENT_LIMITS.perSecond);
    socket.data.refusedInARow = 0;
    socket.data.snapshotPending = false;
    socket.use((packet, next) => this.limit(socket, packet, next));
    socket.once('disconnect', (reason) => {
      this.metrics.disconnects.inc({ reason });
      this.viewers.watching(socket.data.agency, null);
      this.viewers.changed();
    });
    this.viewers.watching(null, socket.data.agency);
    this.viewers.changed();
    this.sendSnapshot(socket);
  }

  @SubscribeMessage('subscribe')
  @UseFilters(AckErrorFilter)
  subscribe(@ConnectedSocket() socket: TransitSocket, @MessageBody(SubscribePipe) parsed: Subscription): SubscribeAck {
    tracer.startSpan('socket.io subscribe', { attributes: { 'transit.ok': true } }).end();
    const agency = this.view(parsed.agency);
    // A disconnect may have run already (the ack of a client that left): do not count it again.
    if (socket.connected) this.viewers.watching(socket.data.agency, agency);
    setView(socket.data, parsed.routes, agency);
    this.sendSnapshot(socket);
    const routes = parsed.routes ? [...parsed.routes].sort() : [];
    return parsed.agency === null ? { status: 'ok', routes } : { status: 'ok', routes, agency: parsed.agency };
  }

  /**
   * Per-socket limit on client events (`EVENT_LIMITS`): an event over the limit is refused
   * (its ack says so) and never dispatched; a client that keeps going is disconnected. One
   * ~30-byte `subscribe` is answered with a whole snapshot, so without this one client could
   * queue gigabytes in Engine.IO's write buffer.
   */
  private limit(socket: TransitSocket, packet: unknown[], next: (err?: Error) => void): void {
    const d = socket.data;
    if (!socket.connected) return; // packets still queued from a client we cut: dropped
    if (d.events.take()) {
      d.refusedInARow = 0;
      return next();
    }
    d.refusedInARow += 1;
    this.metrics.socketLimited.inc({ reason: 'event_rate' });
    const ack = packet.at(-1);
    if (typeof ack === 'function') ack({ status: 'error', message: `rate limited: at most ${EVENT_LIMITS.perSecond} events a second (bursts of ${EVENT_LIMITS.burst})` });
    if (d.refusedInARow >= EVENT_LIMITS.disconnectAfter) {
      this.metrics.socketLimited.inc({ reason: 'flood_disconnect' });
      socket.disconnect(true);
    }
  }

  /** Clients whose snapshot is queued for the end of this turn. */
  private readonly snapshotsDue = new Set<TransitSocket>();

  /**
   * Queues this client's snapshot for the end of the turn. Requests in the same turn (a
   * burst of subscribes, or every client that connected in it) share the work: clients
   * with the same route set get one broadcast, so the snapshot is filtered and encoded
   * once per route set, not once per client.
   */
  private sendSnapshot(socket: TransitSocket): void {
    if (socket.data.snapshotPending) return;
    socket.data.snapshotPending = true;
    if (this.snapshotsDue.size === 0) setImmediate(() => this.flushSnapshots());
    this.snapshotsDue.add(socket);
  }

  private flushSnapshots(): void {
    const due = [...this.snapshotsDue];
    this.snapshotsDue.clear();
    const snapshot = this.cache.snapshot;
    const groups = new Map<string, { routes: RouteSet; agency: string | null; ids: string[] }>();
    for (const socket of due) {
      socket.data.snapshotPending = false;
      // Without a snapshot the first poll is under way; its snapshot reaches everyone.
      if (!snapshot || !socket.connected) continue;
      const key = socket.data.groupKey;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { routes: socket.data.routes, agency: socket.data.agency, ids: [] }));
      g.ids.push(socket.id);
      socket.data.version = snapshot.version;
    }
    for (const g of groups.values()) this.server.local.to(g.ids).emit('vehicles:snapshot', filterSnapshot(snapshot!, g.routes, g.agency));
  }
}

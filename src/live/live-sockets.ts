import type { TransportLabel } from '../metrics/metric-names.js';

/** The part of a Socket.IO server the counts read (any typed `Server` has it). */
export interface SocketsView {
  of(namespace: '/'): { sockets: ReadonlyMap<string, { conn: { transport: { name: string } } }> };
}

/**
 * The worker's Socket.IO server as the counters see it: how many sockets are connected, by
 * transport. The gateway attaches the server once Nest has created it; before that (and in
 * a module without a gateway) every count is 0.
 */
export class LiveSockets {
  private io: SocketsView | undefined;

  attach(io: SocketsView): void {
    this.io = io;
  }

  count(): number {
    return this.io?.of('/').sockets.size ?? 0;
  }

  byTransport(): Record<TransportLabel, number> {
    const counts = { polling: 0, websocket: 0 };
    if (!this.io) return counts;
    for (const socket of this.io.of('/').sockets.values()) counts[socket.conn.transport.name === 'websocket' ? 'websocket' : 'polling'] += 1;
    return counts;
  }
}

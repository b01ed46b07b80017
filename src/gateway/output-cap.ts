import type { EventEmitter } from 'node:events';

/** Packets queued for one client before it is cut, whatever their size (a polling client that stopped polling). */
export const MAX_BUFFERED_PACKETS = 1_000;

/** What one client has not taken yet. */
export interface Backlog {
  /** Bytes (string characters) of the packets in Engine.IO's write buffer, the new one included. */
  queuedBytes: number;
  /** Packets in Engine.IO's write buffer, the new one included. */
  queuedPackets: number;
  /** Bytes the websocket has accepted but the kernel has not (`bufferedAmount`); 0 on polling. */
  socketBytes: number;
}

/**
 * Why a client's backlog is past the cap (`maxBytes` 0 = no byte cap), or null while it is not.
 * One packet with nothing else pending is never too much, whatever its size: a snapshot larger
 * than the cap (a huge fleet, a cap set too low) must not cut every client on connect.
 */
export function overCap(b: Backlog, maxBytes: number): 'bytes' | 'packets' | null {
  const alone = b.queuedPackets <= 1 && b.socketBytes === 0;
  if (maxBytes > 0 && !alone && b.queuedBytes + b.socketBytes > maxBytes) return 'bytes';
  if (b.queuedPackets > MAX_BUFFERED_PACKETS) return 'packets';
  return null;
}

/** The slice of an Engine.IO socket that {@link watchOutput} uses. */
export interface EngineConn extends EventEmitter {
  id: string;
  writeBuffer: unknown[];
  transport: { name: string; socket?: { bufferedAmount?: number; terminate?: () => void } };
  close(discard?: boolean): void;
}

/** A client that was cut, for the metric and the log line. */
export interface CutClient {
  sid: string;
  transport: string;
  why: 'bytes' | 'packets';
  bytes: number;
  packets: number;
}

/**
 * Cuts a consumer that does not take its output: a polling client that stopped polling
 * (packets pile up in Engine.IO's write buffer until its session times out, 45 s by default)
 * or a websocket client that does not read (its frames pile up in the socket). Checked on
 * every packet queued for it, in O(1) and with one listener: the write buffer's bytes are
 * summed as packets are queued and start again from the new packet whenever the buffer is
 * empty (Engine.IO empties it only by flushing it to the transport). A client that takes its
 * output (empty buffer, nothing unsent in its socket) costs a few property reads per packet,
 * no allocation: this runs for every client on every broadcast.
 */
export function watchOutput(conn: EngineConn, maxBytes: number, cut: (c: CutClient) => void): void {
  let queued = 0;
  let done = false;
  conn.on('packetCreate', (packet: { data?: unknown }) => {
    if (done) return;
    // Engine.IO emits packetCreate before it queues the packet.
    const pending = conn.writeBuffer.length;
    queued = (pending === 0 ? 0 : queued) + sizeOf(packet.data);
    const transport = conn.transport.name;
    const ws = transport === 'websocket' ? conn.transport.socket : undefined;
    const socketBytes = ws?.bufferedAmount ?? 0;
    if (pending === 0 && socketBytes === 0) return;
    const backlog = { queuedBytes: queued, queuedPackets: pending + 1, socketBytes };
    const why = overCap(backlog, maxBytes);
    if (!why) return;
    done = true;
    // After the current emit (a broadcast may be iterating over the clients): close discarding
    // the buffer, and end a websocket at once rather than wait 30 s for its close handshake.
    queueMicrotask(() => {
      conn.close(true);
      ws?.terminate?.();
      cut({ sid: conn.id, transport, why, bytes: backlog.queuedBytes + backlog.socketBytes, packets: backlog.queuedPackets });
    });
  });
}

function sizeOf(data: unknown): number {
  if (typeof data === 'string') return data.length;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}

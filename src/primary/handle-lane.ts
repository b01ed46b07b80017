import type net from 'node:net';

/**
 * What a lane needs of a worker's `ChildProcess`: Node's, or a fake in tests.
 *
 * `_handleQueue` is Node's own queue (lib/internal/child_process.js): null while no handle
 * waits for the receiver's acknowledgement, an array (of what was sent meanwhile) while one does.
 */
export interface HandleChannel {
  readonly connected: boolean;
  _handleQueue?: unknown[] | null;
  send(message: unknown, handle: net.Socket, options: { keepOpen: boolean }, callback: (err: Error | null) => void): boolean;
  on(event: 'internalMessage', listener: (message: unknown) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
}

interface Waiting {
  message: unknown;
  socket: net.Socket;
  failed: () => void;
}

/**
 * Hands sockets to one worker one at a time, each when the previous is acknowledged.
 *
 * Node passes one handle per acknowledgement round trip anyway, and queues whatever is sent
 * meanwhile, but on every `NODE_HANDLE_ACK` it re-sends its whole queue: the first entry is
 * written and the rest are pushed onto a new queue. With L connections waiting (a worker
 * whose event loop is busy acknowledges late) each hand-off costs O(L), and every other
 * message to that worker (the snapshots and deltas it fans out) waits behind all L.
 * The lane keeps the waiting sockets itself and gives Node one only when nothing is in
 * flight, so a hand-off costs O(1) and other messages wait for one round trip at most.
 *
 * A socket waiting here keeps its libuv handle (Node detaches it only when writing), so
 * {@link Router.workerGone} can still answer it 503 if the worker dies first. When the
 * channel closes, whatever waits is failed at once (the router answers 503).
 */
export class HandleLane {
  /** Oldest first (V8's `shift` trims the front in place: O(1) at these lengths). */
  private readonly fifo: Waiting[] = [];
  /** Node without `_handleQueue` (a future change): hand every socket straight to Node. */
  private readonly direct: boolean;

  constructor(private readonly channel: HandleChannel) {
    this.direct = !('_handleQueue' in channel);
    // Registered after Node's own listener (set up at fork), so this runs once Node has
    // closed the acknowledged handle and written whatever it had queued.
    channel.on('internalMessage', (m) => {
      const cmd = (m as { cmd?: unknown } | null)?.cmd;
      if (cmd === 'NODE_HANDLE_ACK' || cmd === 'NODE_HANDLE_NACK') this.pump();
    });
    channel.on('disconnect', () => this.failAll());
  }

  /** Sockets waiting for their turn (not counting the one in flight). */
  get waiting(): number {
    return this.fifo.length;
  }

  /** Queues `socket` for the worker; false when the channel is closed (the caller answers). */
  send(message: unknown, socket: net.Socket, failed: () => void): boolean {
    if (!this.channel.connected) return false;
    const entry = { message, socket, failed };
    if (this.direct || (this.waiting === 0 && !this.inFlight())) this.write(entry);
    else this.fifo.push(entry);
    return true;
  }

  private inFlight(): boolean {
    return this.channel._handleQueue != null;
  }

  /** Writes waiting sockets while nothing is in flight: one, or more if writes fail at once. */
  private pump(): void {
    while (this.fifo.length > 0 && !this.inFlight() && this.channel.connected) this.write(this.fifo.shift()!);
  }

  private write(entry: Waiting): void {
    this.channel.send(entry.message, entry.socket, { keepOpen: false }, (err) => {
      if (!err) return;
      entry.failed();
      // A failed write leaves nothing in flight: the next may go.
      this.pump();
    });
  }

  private failAll(): void {
    for (const entry of this.fifo.splice(0)) entry.failed();
  }
}

const lanes = new WeakMap<HandleChannel, HandleLane>();

/** The one lane of this worker's channel. */
export function laneOf(channel: HandleChannel): HandleLane {
  let lane = lanes.get(channel);
  if (!lane) lanes.set(channel, (lane = new HandleLane(channel)));
  return lane;
}

/** Sockets waiting in this channel's lane, null without one (for the profiler's sampler; creates no lane). */
export function laneWaiting(channel: object): number | null {
  return lanes.get(channel as HandleChannel)?.waiting ?? null;
}

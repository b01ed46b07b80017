import type { WorkerMessage } from '../ipc/messages.js';

/**
 * How long taken/closed connections wait to be reported, ms. Each handed-in connection
 * arrives in its own event-loop turn, so batching per turn sent one IPC message per
 * connection event (two per short-lived polling connection); a short window sends one per
 * window instead. The primary's books lag by at most this much: a cap counts a closed
 * connection a little longer, and a connection taken just before its worker died is found
 * closed (its handle already released), not answered twice.
 */
export const REPORT_WINDOW_MS = 20;

/**
 * Tells the primary which handed-in connections this worker took and which have closed,
 * batched to one IPC message per {@link REPORT_WINDOW_MS}: the primary's connection caps
 * count connections across workers, and a connection it handed to a worker that dies
 * before taking it is answered 503 instead of hanging.
 */
export class ConnectionReports {
  private acked: number[] = [];
  private closed: number[] = [];
  private scheduled = false;

  constructor(
    private readonly send: (msg: Extract<WorkerMessage, { t: 'conns' }>) => void,
    private readonly defer: (fn: () => void) => void = (fn) => setTimeout(fn, REPORT_WINDOW_MS).unref(),
  ) {}

  taken(cid: number): void {
    this.acked.push(cid);
    this.schedule();
  }

  ended(cid: number): void {
    this.closed.push(cid);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.defer(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const msg = { t: 'conns' as const, acked: this.acked, closed: this.closed };
    this.acked = [];
    this.closed = [];
    this.send(msg);
  }
}

import type { WorkerMessage } from '../ipc/messages.js';

/**
 * Tells the primary which handed-in connections this worker took and which have closed,
 * batched to one IPC message per event-loop turn: the primary's connection caps count
 * connections across workers, and a connection it handed to a worker that dies before
 * taking it is answered 503 instead of hanging.
 */
export class ConnectionReports {
  private acked: number[] = [];
  private closed: number[] = [];
  private scheduled = false;

  constructor(
    private readonly send: (msg: Extract<WorkerMessage, { t: 'conns' }>) => void,
    private readonly defer: (fn: () => void) => void = setImmediate,
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

import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { isPrimaryMessage, type PrimaryMessage, type WorkerMessage } from '../ipc/messages.js';

type Of<T extends PrimaryMessage['t']> = Extract<PrimaryMessage, { t: T }>;

export interface PrimaryLinkEvents {
  data: [Of<'data'>];
  'feed-status': [Of<'feed-status'>];
  coordination: [Of<'coordination'>];
  directory: [Of<'directory'>];
  conn: [Of<'conn'>, Socket];
  drain: [Of<'drain'>];
  'metrics-req': [Of<'metrics-req'>];
}

/** The worker's end of the IPC channel to the primary: typed messages in, reports out. */
export class PrimaryLink extends EventEmitter<PrimaryLinkEvents> {
  constructor(private readonly proc: NodeJS.Process = process) {
    super();
    proc.on('message', (msg: unknown, handle: unknown) => {
      if (!isPrimaryMessage(msg)) return;
      if (msg.t === 'conn') {
        // A connection without its socket (primary already closed it) has nothing to serve.
        if (handle) this.emit('conn', msg, handle as Socket);
        return;
      }
      (this.emit as (e: string, m: PrimaryMessage) => boolean)(msg.t, msg);
    });
  }

  /** Whether the primary is still there; a worker without one exits. */
  get connected(): boolean {
    return this.proc.connected === true;
  }

  send(msg: WorkerMessage): void {
    // The primary may be gone between the check and the write; `disconnect` ends us then.
    if (this.proc.connected) this.proc.send?.(msg, undefined, undefined, () => undefined);
  }
}

import type { WorkerMessage } from '../ipc/messages.js';

/** The worker message of type `T`. */
export type WorkerMessageOf<T extends WorkerMessage['t']> = Extract<WorkerMessage, { t: T }>;

/** What the primary does with each worker message, keyed by its type: every type is named. */
export type WorkerMessageHandlers = { readonly [T in WorkerMessage['t']]: (workerId: number, msg: WorkerMessageOf<T>) => void };

/** Hands `msg` to the handler of its type; the switch narrows each message, so no handler sees another type. */
export function dispatchWorkerMessage(handlers: WorkerMessageHandlers, workerId: number, msg: WorkerMessage): void {
  switch (msg.t) {
    case 'ready':
      return handlers.ready(workerId, msg);
    case 'viewers':
      return handlers.viewers(workerId, msg);
    case 'recycle-me':
      return handlers['recycle-me'](workerId, msg);
    case 'conns':
      return handlers.conns(workerId, msg);
    case 'metrics-res':
      return handlers['metrics-res'](workerId, msg);
    default:
      // A new message type fails the build here until it has a handler.
      return msg satisfies never;
  }
}

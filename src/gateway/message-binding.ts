import { Logger } from '@nestjs/common';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { defer, EMPTY, type Observable } from 'rxjs';
import { catchError, filter } from 'rxjs/operators';
import type { Socket } from 'socket.io';

const logger = new Logger('MessageBinding');

type Payload = { data: unknown; ack?: (...args: unknown[]) => void };

/**
 * Nest's `IoAdapter.bindMessageHandlers`, with the same results, without an rxjs pipeline
 * per socket. Nest builds, for every socket and every `@SubscribeMessage`, a `fromEvent`
 * stream with `mergeMap` and `takeUntil(disconnect$)` (plus the shared disconnect stream)
 * and keeps it for the socket's life: kilobytes per connection at 10,000s of connections,
 * for a handler that runs a few times per session. Here a socket holds one listener per
 * message; the rxjs work (Nest's `transform` of the handler's result: value, promise or
 * observable) happens per event. A socket.io socket emits no events after `disconnect`, so
 * the `takeUntil` has nothing to end.
 *
 * As in Nest: a result with `event` is emitted as that event; any other non-nullish result
 * goes to the client's ack unless the handler takes the ack itself; a handler that throws
 * is logged and the socket's other events keep working.
 */
export function bindMessageHandlers(
  socket: Socket,
  handlers: readonly MessageMappingProperties[],
  transform: (data: unknown) => Observable<unknown>,
  mapPayload: (payload: unknown) => Payload,
): void {
  for (const { message, callback, isAckHandledManually } of handlers) {
    socket.on(message as string, (...args: unknown[]) => {
      // rxjs' fromEvent hands Nest one argument as itself and several as an array.
      const { data, ack } = mapPayload(args.length === 1 ? args[0] : args);
      defer(() => transform(callback(data, ack)))
        .pipe(
          filter((response) => response !== null && response !== undefined),
          catchError((err: unknown) => {
            logger.error(err);
            return EMPTY;
          }),
        )
        .subscribe((response) => {
          const r = response as { event?: string; data?: unknown };
          if (r.event) return void socket.emit(r.event, r.data);
          if (!isAckHandledManually && typeof ack === 'function') ack(response);
        });
    });
  }
}

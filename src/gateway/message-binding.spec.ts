import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { from, isObservable, of, type Observable } from 'rxjs';
import type { Socket } from 'socket.io';
import { describe, expect, it, vi } from 'vitest';
import { bindMessageHandlers } from './message-binding.js';

/** Nest's transform: a handler's value, promise or observable becomes an observable. */
const transform = (r: unknown): Observable<unknown> => (isObservable(r) ? r : r instanceof Promise ? from(r) : of(r));
/** Nest's IoAdapter.mapPayload for the shapes socket.io delivers. */
const mapPayload = (p: unknown) => {
  const args = Array.isArray(p) ? p : [p];
  const last = args.at(-1);
  return typeof last === 'function' ? { data: args.length === 2 ? args[0] : args.slice(0, -1), ack: last } : { data: p };
};

function socketWith(callback: (data: unknown, ack?: unknown) => unknown, isAckHandledManually = false) {
  const socket = new EventEmitter();
  const sent: unknown[][] = [];
  const emit = socket.emit.bind(socket);
  const handlers = [{ message: 'subscribe', methodName: 'subscribe', callback, isAckHandledManually }] as unknown as MessageMappingProperties[];
  bindMessageHandlers(socket as unknown as Socket, handlers, transform, mapPayload);
  // Events the handler sends to the client are recorded; socket.emit is also how tests deliver client events.
  const deliver = (...args: unknown[]) => emit('subscribe', ...args);
  socket.emit = (event: string, ...args: unknown[]) => (sent.push([event, ...args]), true);
  return { deliver, sent, listeners: () => socket.listenerCount('subscribe') };
}

describe('bindMessageHandlers', () => {
  it('answers through the ack with the handler result (value or promise), one listener per message', async () => {
    const { deliver, listeners } = socketWith((data) => ({ status: 'ok', echo: data }));
    const ack = vi.fn();
    deliver({ routes: ['N'] }, ack);
    expect(ack).toHaveBeenCalledWith({ status: 'ok', echo: { routes: ['N'] } });
    expect(listeners()).toBe(1);

    const async = socketWith(async (data) => ({ later: data }));
    const ack2 = vi.fn();
    async.deliver(7, ack2);
    await vi.waitFor(() => expect(ack2).toHaveBeenCalledWith({ later: 7 }));
  });

  it('emits `{ event, data }` results as that event, and sends nothing for null', () => {
    const evented = socketWith(() => ({ event: 'vehicles:snapshot', data: { v: 1 } }));
    evented.deliver({});
    expect(evented.sent).toEqual([['vehicles:snapshot', { v: 1 }]]);

    const silent = socketWith(() => null);
    const ack = vi.fn();
    silent.deliver({}, ack);
    expect(ack).not.toHaveBeenCalled();
    expect(silent.sent).toEqual([]);
  });

  it('leaves the ack to a handler that takes it itself', () => {
    const { deliver } = socketWith(() => 'result', true);
    const ack = vi.fn();
    deliver({}, ack);
    expect(ack).not.toHaveBeenCalled();
  });

  it('logs a handler that throws and keeps serving the next event', () => {
    const log = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    let calls = 0;
    const { deliver } = socketWith(() => {
      calls += 1;
      if (calls === 1) throw new Error('boom');
      return 'fine';
    });
    const ack = vi.fn();
    deliver({}, ack);
    deliver({}, ack);
    expect(log).toHaveBeenCalledTimes(1);
    expect(ack).toHaveBeenCalledTimes(1);
    expect(ack).toHaveBeenCalledWith('fine');
    log.mockRestore();
  });
});

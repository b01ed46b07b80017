import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { describe, expect, it } from 'vitest';
import { HandleLane, laneOf, laneWaiting, type HandleChannel } from './handle-lane.js';

type Callback = (err: Error | null) => void;

/**
 * Node's side of a channel, as lib/internal/child_process.js does it: one handle in flight
 * until the receiver acknowledges it; whatever is sent meanwhile waits in `_handleQueue`,
 * and on the acknowledgement the whole queue is sent again (the first written, the rest queued).
 */
class NodeLikeChannel extends EventEmitter implements HandleChannel {
  connected = true;
  _handleQueue: { message: unknown; socket: net.Socket; cb: Callback }[] | null = null;
  written: unknown[] = [];
  /** Entries pushed onto Node's queue: what the lane saves. */
  queuedByNode = 0;
  failWrites = false;

  send(message: unknown, socket: net.Socket, _options: { keepOpen: boolean }, cb: Callback): boolean {
    if (!this.connected) {
      process.nextTick(cb, new Error('channel closed'));
      return false;
    }
    if (this._handleQueue) {
      this.queuedByNode += 1;
      this._handleQueue.push({ message, socket, cb });
      return this._handleQueue.length === 1;
    }
    if (this.failWrites) {
      process.nextTick(cb, new Error('EPIPE'));
      return false;
    }
    this.written.push(message);
    this._handleQueue = [];
    process.nextTick(cb, null);
    return true;
  }

  /** The receiver acknowledged the handle in flight: Node's listener first, then everyone else's. */
  ack(cmd: 'NODE_HANDLE_ACK' | 'NODE_HANDLE_NACK' = 'NODE_HANDLE_ACK'): void {
    const queue = this._handleQueue ?? [];
    this._handleQueue = null;
    // A NACK re-sends the handle in flight (Node's retransmission), so one is in flight again.
    if (cmd === 'NODE_HANDLE_NACK') this._handleQueue = [];
    for (const e of queue) this.send(e.message, e.socket, { keepOpen: false }, e.cb);
    this.emit('internalMessage', { cmd });
  }
}

const socket = {} as net.Socket;
const tick = () => new Promise((resolve) => process.nextTick(resolve));

function setup() {
  const channel = new NodeLikeChannel();
  const lane = new HandleLane(channel);
  const failed: number[] = [];
  const send = (cid: number) => lane.send({ cid }, socket, () => failed.push(cid));
  return { channel, lane, failed, send };
}

describe('HandleLane', () => {
  it('writes one socket at a time, the next on each acknowledgement, in order, and Node queues none', () => {
    const { channel, lane, send } = setup();
    for (let cid = 1; cid <= 100; cid++) expect(send(cid)).toBe(true);
    expect(channel.written).toEqual([{ cid: 1 }]);
    expect(lane.waiting).toBe(99);
    for (let i = 0; i < 99; i++) channel.ack();
    expect(channel.written).toEqual(Array.from({ length: 100 }, (_, i) => ({ cid: i + 1 })));
    expect(lane.waiting).toBe(0);
    expect(channel.queuedByNode).toBe(0);
    channel.ack();
    expect(channel._handleQueue).toBeNull();
    // Idle again: the next socket goes at once.
    send(101);
    expect(channel.written).toHaveLength(101);
  });

  it('waits while a handle someone else sent is in flight', () => {
    const { channel, send } = setup();
    channel._handleQueue = [];
    send(1);
    expect(channel.written).toEqual([]);
    channel.ack();
    expect(channel.written).toEqual([{ cid: 1 }]);
  });

  it('writes nothing on a NACK (Node retransmits the handle in flight) and goes on at the ACK', () => {
    const { channel, send } = setup();
    send(1);
    send(2);
    channel.ack('NODE_HANDLE_NACK');
    expect(channel.written).toEqual([{ cid: 1 }]);
    channel.ack();
    expect(channel.written).toEqual([{ cid: 1 }, { cid: 2 }]);
  });

  it('a failed write fails that socket only, and the next one is written', async () => {
    const { channel, failed, send } = setup();
    send(1);
    send(2);
    send(3);
    channel.failWrites = true;
    // A write that fails leaves nothing in flight: 2 and then 3 are written, and both fail.
    channel.ack();
    await tick();
    expect(failed).toEqual([2, 3]);
    channel.failWrites = false;
    send(4);
    expect(channel.written).toEqual([{ cid: 1 }, { cid: 4 }]);
  });

  it('when the channel closes every waiting socket fails at once, in order; the one in flight is the router’s to reclaim', () => {
    const { channel, lane, failed, send } = setup();
    for (let cid = 1; cid <= 5; cid++) send(cid);
    channel.connected = false;
    channel.emit('disconnect');
    expect(failed).toEqual([2, 3, 4, 5]);
    expect(lane.waiting).toBe(0);
    expect(send(6)).toBe(false);
    expect(failed).toEqual([2, 3, 4, 5]);
  });

  it('keeps the order across thousands of sockets, sent while others wait', () => {
    const { channel, send } = setup();
    for (let cid = 1; cid <= 5000; cid++) send(cid);
    for (let i = 0; i < 2500; i++) channel.ack();
    for (let cid = 5001; cid <= 6000; cid++) send(cid);
    for (let i = 0; i < 4000; i++) channel.ack();
    expect(channel.written.map((m) => (m as { cid: number }).cid)).toEqual(Array.from({ length: 6000 }, (_, i) => i + 1));
  });

  it('hands every socket straight to a Node without `_handleQueue`', () => {
    const sent: unknown[] = [];
    const channel = Object.assign(new EventEmitter(), {
      connected: true,
      send: (message: unknown) => sent.push(message) > 0,
    }) as unknown as HandleChannel;
    const lane = new HandleLane(channel);
    lane.send({ cid: 1 }, socket, () => undefined);
    lane.send({ cid: 2 }, socket, () => undefined);
    expect(sent).toEqual([{ cid: 1 }, { cid: 2 }]);
  });

  it('laneOf gives one lane per channel; laneWaiting reads it without making one', () => {
    const a = new NodeLikeChannel();
    expect(laneWaiting(a)).toBeNull();
    expect(laneOf(a)).toBe(laneOf(a));
    expect(laneOf(a)).not.toBe(laneOf(new NodeLikeChannel()));
    laneOf(a).send({ cid: 1 }, socket, () => undefined);
    laneOf(a).send({ cid: 2 }, socket, () => undefined);
    expect(laneWaiting(a)).toBe(1);
  });
});

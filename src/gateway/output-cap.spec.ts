import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { MAX_BUFFERED_PACKETS, overCap, watchOutput, type CutClient, type EngineConn } from './output-cap.js';

/** An Engine.IO socket as far as the watcher sees it: packets queue until `flush()`. */
function fakeConn(transport: 'polling' | 'websocket') {
  const conn = Object.assign(new EventEmitter(), {
    id: 'sid1',
    writeBuffer: [] as unknown[],
    closed: [] as (boolean | undefined)[],
    terminated: 0,
    transport: { name: transport, socket: transport === 'websocket' ? { bufferedAmount: 0, terminate: () => (conn.terminated += 1) } : undefined },
    close(discard?: boolean) {
      conn.closed.push(discard);
    },
    send(data: string | Buffer) {
      conn.emit('packetCreate', { type: 'message', data });
      conn.writeBuffer.push(data);
    },
    flush() {
      conn.emit('flush', conn.writeBuffer);
      conn.writeBuffer = [];
    },
  });
  return conn;
}

describe('overCap', () => {
  it('counts queued and socket bytes together, and packets on their own', () => {
    expect(overCap({ queuedBytes: 600, queuedPackets: 2, socketBytes: 500 }, 1000)).toBe('bytes');
    expect(overCap({ queuedBytes: 600, queuedPackets: 2, socketBytes: 400 }, 1000)).toBeNull();
    expect(overCap({ queuedBytes: 10, queuedPackets: MAX_BUFFERED_PACKETS + 1, socketBytes: 0 }, 1000)).toBe('packets');
    expect(overCap({ queuedBytes: 1e9, queuedPackets: 2, socketBytes: 0 }, 0)).toBeNull();
    // One packet alone, however large, goes out: the next one behind it is what counts.
    expect(overCap({ queuedBytes: 5_000, queuedPackets: 1, socketBytes: 0 }, 1000)).toBeNull();
    expect(overCap({ queuedBytes: 5_000, queuedPackets: 1, socketBytes: 1 }, 1000)).toBe('bytes');
  });
});

describe('watchOutput', () => {
  it('cuts a polling client that stopped polling once its write buffer passes the cap, once', async () => {
    const conn = fakeConn('polling');
    const cuts: CutClient[] = [];
    watchOutput(conn as unknown as EngineConn, 100_000, (c) => cuts.push(c));
    for (let i = 0; i < 9; i++) conn.send('x'.repeat(10_000));
    await Promise.resolve();
    expect(cuts).toEqual([]);
    conn.send('x'.repeat(10_001));
    conn.send('x'.repeat(10_000));
    await Promise.resolve();
    expect(cuts).toEqual([{ sid: 'sid1', transport: 'polling', why: 'bytes', bytes: 100_001, packets: 10 }]);
    expect(conn.closed).toEqual([true]);
  });

  it('forgets what a poll took: a client that keeps polling is never cut', async () => {
    const conn = fakeConn('polling');
    const cuts: CutClient[] = [];
    watchOutput(conn as unknown as EngineConn, 100_000, (c) => cuts.push(c));
    for (let i = 0; i < 100; i++) {
      conn.send('x'.repeat(60_000));
      conn.flush();
    }
    await Promise.resolve();
    expect(cuts).toEqual([]);
  });

  it('counts a websocket\'s bufferedAmount and terminates the socket it cuts', async () => {
    const conn = fakeConn('websocket');
    const cuts: CutClient[] = [];
    watchOutput(conn as unknown as EngineConn, 100_000, (c) => cuts.push(c));
    conn.transport.socket!.bufferedAmount = 95_000;
    conn.send(Buffer.alloc(4_000));
    conn.flush();
    await Promise.resolve();
    expect(cuts).toEqual([]);
    conn.transport.socket!.bufferedAmount = 99_000;
    conn.send(Buffer.alloc(2_000));
    await Promise.resolve();
    expect(cuts).toMatchObject([{ transport: 'websocket', why: 'bytes', bytes: 101_000 }]);
    expect(conn.terminated).toBe(1);
  });

  it('cuts on the packet count when the packets are small', async () => {
    const conn = fakeConn('polling');
    const cuts: CutClient[] = [];
    watchOutput(conn as unknown as EngineConn, 100_000_000, (c) => cuts.push(c));
    for (let i = 0; i <= MAX_BUFFERED_PACKETS; i++) conn.send('2');
    await Promise.resolve();
    expect(cuts).toMatchObject([{ why: 'packets', packets: MAX_BUFFERED_PACKETS + 1 }]);
  });
});

import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HandleLane } from '../src/primary/handle-lane.js';
import { recordFigure } from './support/figures.js';

const SINK = path.resolve(import.meta.dirname, 'support/handle-sink.ts');
const N = 400;

let child: ChildProcess | undefined;
let server: net.Server | undefined;
afterEach(async () => {
  child?.kill('SIGKILL');
  server?.close();
  child = server = undefined;
});

type Send = (cid: number, socket: net.Socket) => void;

/**
 * N connections accepted while the receiver is busy for 300 ms, handed to it one by one
 * through `send`, then one plain message. Every client reads back its id.
 */
async function handOff(makeSend: (c: ChildProcess) => Send) {
  child = fork(SINK, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await once(child, 'message');
  const c = child as ChildProcess & { _handleQueue: unknown[] | null };
  const send = makeSend(c);
  const accepted: net.Socket[] = [];
  server = net.createServer({ pauseOnConnect: true }, (s) => accepted.push(s));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const answers = Array.from({ length: N }, () => {
    const s = net.connect(port, '127.0.0.1');
    let text = '';
    s.on('data', (d) => (text += d));
    return new Promise<string>((resolve, reject) => {
      s.on('end', () => resolve(text.trim()));
      s.on('error', reject);
    });
  });
  while (accepted.length < N) await new Promise((r) => setTimeout(r, 10));

  c.send({ t: 'block', ms: 300 });
  const cpu0 = process.cpuUsage();
  accepted.forEach((s, i) => send(i + 1, s));
  c.send({ t: 'mark' });
  const nodeQueued = c._handleQueue?.length ?? 0;
  const got = await Promise.all(answers);
  const cpu = process.cpuUsage(cpu0);
  c.send({ t: 'report' });
  const [report] = (await once(c, 'message')) as [{ order: string[] }];
  return {
    got,
    order: report.order,
    nodeQueued,
    markAfterConns: report.order.indexOf('mark'),
    senderCpuMs: Math.round((cpu.user + cpu.system) / 1000),
  };
}

describe('HandleLane with a real child process', () => {
  it(`${N} sockets to a busy receiver: each arrives once, in order; a plain message waits for one hand-off, not all`, async () => {
    const lane = await handOff((c) => {
      const l = new HandleLane(c);
      return (cid, s) => void l.send({ t: 'conn', cid }, s, () => expect.fail(`hand-off ${cid} failed`));
    });
    // Node's own path, for comparison: every socket queued in Node, re-sent on each acknowledgement.
    const direct = await handOff((c) => (cid, s) => void c.send({ t: 'conn', cid }, s, { keepOpen: false }));
    recordFigure('handle lane: 400 sockets to a receiver busy 300 ms', {
      lane: { nodeQueued: lane.nodeQueued, markAfterConns: lane.markAfterConns, senderCpuMs: lane.senderCpuMs },
      direct: { nodeQueued: direct.nodeQueued, markAfterConns: direct.markAfterConns, senderCpuMs: direct.senderCpuMs },
    });
    const ids = Array.from({ length: N }, (_, i) => String(i + 1));
    for (const run of [lane, direct]) {
      expect(run.got).toEqual(ids);
      expect(run.order.filter((o) => o !== 'mark')).toEqual(ids.map((id) => `conn ${id}`));
    }
    // The lane gives Node one socket at a time: Node's queue holds only the plain message.
    expect(lane.nodeQueued).toBe(1);
    expect(lane.markAfterConns).toBeLessThanOrEqual(1);
    // Node's own queue holds them all, and the plain message comes after every socket.
    expect(direct.nodeQueued).toBe(N);
    expect(direct.markAfterConns).toBe(N);
  });
});

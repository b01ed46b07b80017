/**
 * A child for handle-lane.e2e.spec.ts: takes sockets over IPC like a worker, answers each with
 * its id, and keeps the order in which sockets and plain messages arrived.
 *   { t: 'block', ms }  busy for ms (a worker whose event loop is late)
 *   { t: 'conn', cid }  + socket: writes `${cid}\n` and ends it
 *   { t: 'mark' }       noted in the order
 *   { t: 'report' }     sends back { t: 'order', order }
 */
import type net from 'node:net';

const order: string[] = [];
process.on('message', (m: { t: string; cid?: number; ms?: number }, socket?: net.Socket) => {
  if (m.t === 'block') {
    const until = Date.now() + m.ms!;
    while (Date.now() < until);
  } else if (m.t === 'conn') {
    order.push(`conn ${m.cid}`);
    socket?.end(`${m.cid}\n`);
  } else if (m.t === 'mark') {
    order.push('mark');
  } else if (m.t === 'report') {
    process.send!({ t: 'order', order });
  }
});
process.send!({ t: 'ready' });

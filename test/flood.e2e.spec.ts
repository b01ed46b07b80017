import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connectClient, sleep, waitFor } from './support/clients.js';
import { recordFigure } from './support/figures.js';
import { startTopology, type Topology } from './support/topology.js';

/** Resident memory of every worker, in MB, from the instance's /metrics. */
async function workerRssMb(app: Topology): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^process_resident_memory_bytes\{worker="(\d+)"\} (\d+)/gm)) out[m[1]!] = Number(m[2]) / 2 ** 20;
  return out;
}

describe('a subscribe flood from one socket', () => {
  let app: Topology;
  beforeAll(async () => {
    app = await startTopology({ WEB_CONCURRENCY: '2', POLL_INTERVAL_MS: '500' });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('is refused, then cut within 1 s; the worker barely grows and other clients keep their deltas', async () => {
    const bystander = connectClient(app.base, { transports: ['websocket'] });
    await waitFor(() => bystander.deltas >= 2, 10_000, 'bystander deltas');
    const rssBefore = await workerRssMb(app);
    const ws = new WebSocket(`ws://127.0.0.1:${app.port}/socket.io/?EIO=4&transport=websocket`);
    let connected = false;
    let okAcks = 0;
    let refusedAcks = 0;
    let snapshots = 0;
    let startedAt = 0;
    let cutAt = 0;
    ws.on('message', (m) => {
      const t = m.toString();
      if (t.startsWith('0')) ws.send('40');
      else if (t.startsWith('40')) connected = true;
      else if (t === '2') ws.send('3');
      else if (t.startsWith('42["vehicles:snapshot"')) snapshots += 1;
      else if (t.startsWith('43')) (t.includes('"ok"') ? okAcks++ : refusedAcks++);
      else if (t === '41') cutAt ||= Date.now();
    });
    ws.on('close', () => (cutAt ||= Date.now()));
    await waitFor(() => connected, 5_000, 'flooder connected');
    startedAt = Date.now();
    for (let i = 0; i < 5000 && ws.readyState === WebSocket.OPEN; i++) ws.send(`42${i}["subscribe",{"routes":[]}]`);
    await waitFor(() => cutAt > 0, 5_000, 'flooder cut');
    const deltasBefore = bystander.deltas;
    await sleep(1_500);
    const rssAfter = await workerRssMb(app);
    const growth = Math.max(...Object.keys(rssAfter).map((w) => rssAfter[w]! - (rssBefore[w] ?? rssAfter[w]!)));
    const metrics = await (await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`)).text();
    const refusedMetric = Number(/transit_socket_limited_total\{reason="event_rate"\} (\d+)/.exec(metrics)?.[1]);
    const cutMetric = Number(/transit_socket_limited_total\{reason="flood_disconnect"\} (\d+)/.exec(metrics)?.[1]);
    recordFigure('flood: 5000 subscribes from one websocket', { okAcks, refusedAcks, snapshots, cutAfterMs: cutAt - startedAt, rssGrowthMb: Math.round(growth), refusedMetric, cutMetric, bystanderDeltasAfter: bystander.deltas - deltasBefore });
    expect(okAcks).toBeLessThanOrEqual(12);
    expect(snapshots).toBeLessThanOrEqual(3); // on connect, plus coalesced subscribe snapshots
    expect(cutAt - startedAt).toBeLessThan(1_000);
    expect(growth).toBeLessThan(50);
    expect(cutMetric).toBe(1);
    expect(refusedMetric).toBeGreaterThanOrEqual(20);
    expect(bystander.deltas - deltasBefore).toBeGreaterThanOrEqual(2);
    expect(bystander.errors).toEqual([]);
    bystander.close();
    ws.terminate();
  });
});

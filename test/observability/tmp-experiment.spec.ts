import { it } from 'vitest';
import { sleep } from '../support/clients.js';
import { startFleet } from '../support/fleet-run.js';
import { startTopology } from '../support/topology.js';
import { scrape, sumOf } from './metrics-text.js';

it('experiment', async () => {
  const app = await startTopology({ POLL_INTERVAL_MS: '500', PING_INTERVAL_MS: '1000', PING_TIMEOUT_MS: '5000', WEB_CONCURRENCY: '2', STICKY: 'false', ALLOW_UNSAFE_TOPOLOGY: 'true' }, 90_000);
  let noise = true;
  void (async () => { while (noise) { await fetch(`${app.base}/healthz`, { headers: { connection: 'close' } }).catch(() => {}); await sleep(Math.random() * 5); } })();
  const fleet = await startFleet(app, 20, { settle: false });
  await sleep(3000);
  noise = false;
  await sleep(9000);
  for (const c of fleet.clients) c.close();
  await sleep(8000);
  const m = await scrape(app.metricsPort);
  console.log(JSON.stringify({
    proxy400: fleet.bad(), metric400: sumOf(m, 'transit_polling_requests_total', { status: '400' }),
    polls: fleet.polls(), metricPolls: sumOf(m, 'transit_polling_requests_total'),
    clientRe: fleet.clients.reduce((n, c) => n + c.connects - 1, 0), clientReAll: fleet.clients.reduce((n, c) => n + Math.max(0, c.connects - 1), 0),
    metricRe: sumOf(m, 'transit_socket_reconnects_total'), clientConnects: fleet.clients.map((c) => c.connects), metricConnects: sumOf(m, 'transit_socket_connects_total'),
    pooled: Object.fromEntries(fleet.pooled.counts.byStatus), fresh: Object.fromEntries(fleet.fresh.counts.byStatus), up: fleet.pooled.upstreamConnections(),
  }));
  await fleet.close();
  await app.stop();
}, 120_000);

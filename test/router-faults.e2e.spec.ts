import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sleep, waitFor } from './support/clients.js';
import { recordFigure } from './support/figures.js';
import { scrape, sumOf } from './observability/metrics-text.js';
import { rawExchange } from './support/raw-http.js';
import { waitUntil } from './support/wait.js';
import { runExpectingExit, startTopology, type Topology } from './support/topology.js';

let app: Topology | undefined;
afterEach(async () => {
  if (app) {
    for (const id of [1, 2, 3, 4]) {
      const pid = app.workerPid(id);
      if (pid) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          /* gone */
        }
      }
    }
    await app.stop();
  }
  app = undefined;
});

const handshakeOwner = async (base: string) => {
  const body = await (await fetch(`${base}/socket.io/?EIO=4&transport=polling`, { headers: { connection: 'close' } })).text();
  return Number((JSON.parse(body.slice(1)).sid as string).split('.')[0]);
};

describe('router: caps and dead workers', () => {
  it('5,000 idle connections from one address are capped at MAX_CONNECTIONS_PER_IP; another address is still served', async () => {
    app = await startTopology({ WEB_CONCURRENCY: '2', MAX_CONNECTIONS_PER_IP: '1000' });
    const sockets: net.Socket[] = [];
    let refused = 0;
    // Opened 250 at a time: a burst of 5,000 SYNs would overflow the kernel's accept queue
    // (backlog 511) and test the kernel, not the router.
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(
        Array.from({ length: 250 }, () => {
          const s = net.connect({ host: '127.0.0.1', port: app!.port });
          sockets.push(s);
          s.on('error', () => undefined);
          s.on('data', (d) => {
            if (d.toString().startsWith('HTTP/1.1 503')) refused += 1;
          });
          return new Promise<void>((resolve) => {
            s.once('connect', () => resolve());
            s.once('error', () => resolve());
          });
        }),
      );
    }
    await waitFor(() => refused >= 4000, 10_000, '4000 refusals');
    const other = await rawExchange(app.port, ['GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n'], { localAddress: '127.0.0.2' });
    const same = await rawExchange(app.port, ['GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n']);
    for (const s of sockets) s.destroy();
    await sleep(300);
    const after = await rawExchange(app.port, ['GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n']);
    const metrics = await (await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`)).text();
    const counted = Number(/transit_router_refused_total\{reason="max_connections_per_ip"\} (\d+)/.exec(metrics)?.[1]);
    recordFigure('router: per-address cap', { opened: 5000, refused, otherAddress: other?.status, sameAddressWhileFull: same?.status, afterClose: after?.status, counted });
    expect(refused).toBe(4000);
    expect(other?.status).toBe(200);
    expect(same?.status).toBe(503);
    expect(same?.body).toMatch(/too many open connections from your address/);
    expect(after?.status).toBe(200);
    expect(counted).toBe(4001);
  });

  it('a worker that misses two heartbeats gets no new sessions, and is back in rotation when it beats again', async () => {
    app = await startTopology({ WEB_CONCURRENCY: '2', WORKER_TIMEOUT_MS: '4000' });
    process.kill(app.workerPid(1)!, 'SIGSTOP');
    // Beats every 1 s; two missed and one check later it is out.
    await waitFor(() => app!.logs.some((l) => l.event === 'worker_unresponsive' && l.worker === 1), 4_000, 'worker 1 out of rotation');
    const owners: number[] = [];
    for (let i = 0; i < 10; i++) owners.push(await handshakeOwner(app.base));
    process.kill(app.workerPid(1)!, 'SIGCONT');
    await waitFor(() => app!.logs.some((l) => l.event === 'worker_responsive' && l.worker === 1), 4_000, 'worker 1 back');
    const later: number[] = [];
    for (let i = 0; i < 10; i++) later.push(await handshakeOwner(app.base));
    recordFigure('router: rotation', { whileSilent: owners, afterwards: later });
    expect(owners).toEqual(Array(10).fill(2));
    expect(later).toContain(1);
  });

  it('connections queued behind a hand-off to a worker that dies are answered 503, not left hanging', async () => {
    // The heartbeat timeout leaves time for a scrape, which waits up to 2 s for the stopped worker.
    app = await startTopology({ WEB_CONCURRENCY: '2', WORKER_TIMEOUT_MS: '4000' });
    const pid = app.workerPid(1)!;
    process.kill(pid, 'SIGSTOP');
    // Requests for a (made-up) session of worker 1 go to worker 1, which cannot take them.
    const sid = `1.${'A'.repeat(20)}`;
    const pending = Array.from({ length: 20 }, () =>
      rawExchange(app!.port, [`GET /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: t\r\n\r\n`], { timeoutMs: 10_000 }),
    );
    // All 20 wait for the stopped worker: one hand-off in flight, 19 behind it in the lane.
    const pendingGauge = async () => sumOf(await scrape(app!.metricsPort), 'transit_router_handoffs_pending');
    await waitUntil(pendingGauge, (n) => n === 20, 3_000, 'transit_router_handoffs_pending = 20', 50);
    await waitFor(() => app!.logs.some((l) => l.event === 'worker_exit'), 8_000, 'worker 1 killed');
    const answers = await Promise.all(pending);
    expect(await pendingGauge()).toBe(0);
    const statuses = answers.map((a) => a?.status ?? 'hung');
    const hung = statuses.filter((s) => s === 'hung').length;
    recordFigure('router: hand-offs to a dead worker', { sent: 20, statuses: countBy(statuses), longestWaitFromSendMs: Math.max(...answers.map((a) => (a ? a.ms : 0))) });
    expect(hung).toBe(0);
    expect(statuses.every((s) => s === 503 || s === 400)).toBe(true);
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
  });

  it('workers that all crash while booting make the process exit 3 with the reason, after a bounded number of tries', async () => {
    const started = Date.now();
    // Every cluster worker (it has an IPC channel; the primary here has none) throws before it boots.
    const crash = 'data:text/javascript,if(process.send)throw%20new%20Error(%22boom%20at%20boot%22)';
    const { code, stderr } = await runExpectingExit({ WEB_CONCURRENCY: '2', NODE_OPTIONS: `--import=${crash}` }, 30_000);
    recordFigure('supervisor: boot failure', { code, tookMs: Date.now() - started });
    expect(code).toBe(3);
    expect(stderr).toMatch(/5 workers in a row exited while booting/);
    expect(stderr).toMatch(/boom at boot/);
  });
});

function countBy<T extends string | number>(xs: T[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[String(x)] = (out[String(x)] ?? 0) + 1;
  return out;
}

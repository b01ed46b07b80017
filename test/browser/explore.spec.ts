import { it } from 'vitest';
import { startTopology } from '../support/topology.js';
import { launchChromium, openWatchedPage, hook, startNoTileServer, scrape } from './support/browser.js';

it('explore', async () => {
  const tiles = await startNoTileServer();
  const browser = await launchChromium();
  try {
    for (let i = 0; i < 4; i++) {
      const app = await startTopology({ TILE_URL: tiles.url, POLL_INTERVAL_MS: '500', PING_INTERVAL_MS: '1000', PING_TIMEOUT_MS: '3000', FALLBACK_INTERVAL_MS: '2000', WEB_CONCURRENCY: '2' });
      const w = await openWatchedPage(browser);
      const t0 = Date.now();
      const log: string[] = [];
      w.page.on('websocket', (ws) => {
        log.push(`WS open ${Date.now() - t0} ${ws.url()}`);
        ws.on('framesent', (f) => log.push(`WS sent ${Date.now() - t0} ${String(f.payload).slice(0, 30)}`));
        ws.on('framereceived', (f) => log.push(`WS recv ${Date.now() - t0} ${String(f.payload).slice(0, 30)}`));
        ws.on('socketerror', (e) => log.push(`WS error ${e}`));
        ws.on('close', () => log.push(`WS close ${Date.now() - t0}`));
      });
      w.page.on('request', (r) => { if (r.url().includes('socket.io')) log.push(`REQ ${Date.now() - t0} ${r.method()} ${r.url().replace(app.base, '')}`); });
      w.page.on('response', (r) => { if (r.url().includes('socket.io')) log.push(`RES ${Date.now() - t0} ${r.status()} ${r.url().replace(app.base, '')}`); });
      w.page.on('requestfailed', (r) => { if (r.url().includes('socket.io')) log.push(`FAIL ${Date.now() - t0} ${r.url().replace(app.base, '')} ${r.failure()?.errorText}`); });
      await w.page.goto(app.base);
      for (let k = 0; k < 8; k++) { await new Promise((r) => setTimeout(r, 500)); await hook.status(w.page); await scrape(app.metricsPort); }
      const st = await hook.status(w.page);
      console.log(i, st, JSON.stringify(await scrape(app.metricsPort)));
      if (!st.includes('websocket')) console.log(log.slice(0, 40).join('\n'));
      await w.close();
      await app.stop();
    }
  } finally {
    await browser.close();
    await tiles.close();
  }
}, 300_000);

import { it } from 'vitest';
import { startTopology } from '../support/topology.js';
import { launchChromium, openWatchedPage, hook, startNoTileServer, scrape } from './support/browser.js';

it('explore', async () => {
  const tiles = await startNoTileServer();
  const unsafe = process.env.EXPLORE_UNSAFE === '1';
  const app = await startTopology({ TILE_URL: tiles.url, POLL_INTERVAL_MS: '500', PING_INTERVAL_MS: '1000', PING_TIMEOUT_MS: '3000', FALLBACK_INTERVAL_MS: '2000', WEB_CONCURRENCY: '2', ...(unsafe ? { STICKY: 'false', ALLOW_UNSAFE_TOPOLOGY: 'true' } : {}) });
  const browser = await launchChromium();
  try {
    const w = await openWatchedPage(browser);
    const t0 = Date.now();
    await w.page.goto(app.base);
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 500));
      console.log(Date.now() - t0, await hook.status(w.page), await hook.markerCount(w.page), JSON.stringify(await scrape(app.metricsPort)));
    }
    console.log('statuses', JSON.stringify((await w.statuses()).map((s) => [s.t - t0, s.kind, s.text])));
    console.log('sids', w.sids, 'owner', w.owner(), 'statuses', [...w.socketStatuses], 'fail', w.socketFailures.slice(0, 5), '400s', w.socket400s.slice(0, 3));
    console.log('console', w.console.slice(0, 20), 'foreign', w.foreign, 'tiles', tiles.requests());
    console.log('routes', await hook.routes(w.page));
    await w.close();
  } finally {
    await browser.close();
    await app.stop();
    await tiles.close();
  }
}, 120_000);

/**
 * The map says the truth about its data (issue 13) in a real browser (Debian chromium): a
 * visible "Simulated vehicles" notice on the simulator, tile requests that carry a Referer
 * (OpenStreetMap's tile servers refuse requests without one), a popup with route, vehicle
 * and data age. Tiles come from a 127.0.0.1 server on another port (cross-origin, like
 * tile.openstreetmap.org) that records the Referer of every request.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTopology, type Topology } from '../support/topology.js';
import { hook, launchChromium, openWatchedPage, waitUntil, type WatchedPage } from './support/browser.js';

// A 1×1 transparent PNG, so tiles load.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

describe('browser: simulated-data notice, tile Referer, vehicle popup', () => {
  let browser: Browser;
  let tileServer: Server;
  let tileUrl: string;
  const referers: (string | undefined)[] = [];
  let app: Topology;
  let w: WatchedPage;

  beforeAll(async () => {
    tileServer = createServer((req, res) => {
      referers.push(req.headers.referer);
      res.writeHead(200, { 'Content-Type': 'image/png', 'Cache-Control': 'no-store' }).end(PNG);
    });
    await new Promise<void>((resolve) => tileServer.listen(0, '127.0.0.1', resolve));
    tileUrl = `http://127.0.0.1:${(tileServer.address() as AddressInfo).port}/{z}/{x}/{y}.png`;
    [browser, app] = await Promise.all([launchChromium(), startTopology({ TILE_URL: tileUrl, WEB_CONCURRENCY: '1', POLL_INTERVAL_MS: '1000', SIMULATOR_VEHICLES: '30' })]);
    w = await openWatchedPage(browser);
    await w.page.goto(app.base, { waitUntil: 'load' });
  }, 90_000);

  afterAll(async () => {
    await w?.close();
    await browser?.close();
    await app?.stop();
    await new Promise((resolve) => tileServer?.close(resolve));
  });

  it('shows "Simulated vehicles" on the simulator feed', async () => {
    const note = w.page.locator('#feed-note');
    await note.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await note.textContent()).toMatch(/^Simulated vehicles/);
    // One implicit agency: no agency picker.
    expect(await w.page.locator('#agency-field').isHidden()).toBe(true);
  });

  it('tile requests carry a Referer (the page origin only, by Referrer-Policy strict-origin-when-cross-origin)', async () => {
    await waitUntil(async () => referers.length, (n) => n > 0, 10_000, 'tile requests');
    const res = await fetch(`${app.base}/`);
    expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
    expect(new Set(referers)).toEqual(new Set([`${app.base}/`]));
  });

  it('a vehicle popup names route, vehicle and the age of its position', async () => {
    await waitUntil(() => hook.markerCount(w.page), (n) => n > 0, 15_000, 'markers');
    // The notice is text only: a click on it reaches what is beneath (a vehicle under the
    // banner stays clickable).
    const noteHit = await w.page.evaluate(() => {
      const r = document.getElementById('feed-note')!.getBoundingClientRect();
      return document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2)?.id ?? '';
    });
    expect(noteHit).not.toBe('feed-note');
    // A marker whose centre is not under another control (zoom buttons, panel).
    const index = await w.page.evaluate(() => {
      const icons = [...document.querySelectorAll('.vehicle-icon')];
      return icons.findIndex((el) => {
        const r = el.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return hit !== null && el.contains(hit);
      });
    });
    expect(index).toBeGreaterThanOrEqual(0);
    await w.page.locator('.vehicle-icon').nth(index).click();
    const popup = w.page.locator('.vehicle-popup');
    await popup.waitFor({ state: 'visible', timeout: 5_000 });
    const text = (await popup.textContent()) ?? '';
    expect(text).toMatch(/Route \S+/);
    expect(text).toMatch(/Vehicle \S+/);
    expect(text).toMatch(/Position \d+ (s|min) old/);
  });
});

/**
 * The agency picker (issue 13, item 5) in a real browser (Debian chromium): with FEED=511 and
 * two agencies the page offers both, shows the default agency's vehicles, and switching
 * re-subscribes: the map then holds the other agency's vehicles only, and the fake 511.org
 * starts seeing calls for it. (On the simulator the picker stays hidden: feed-notice.e2e.spec.ts.)
 */
import { describe, expect, it } from 'vitest';
import type { Vehicle } from '../../src/domain/vehicle.js';
import { startFake511Upstream } from '../support/fake-511-upstream.js';
import { startTopology, type Topology } from '../support/topology.js';
import { hook, launchChromium, openWatchedPage, waitUntil } from './support/browser.js';

const KEY = 'browser-7c1d-agency-key';

const buses = (n: number, routeId: string, lat: number): Vehicle[] =>
  Array.from({ length: n }, (_, i) => ({ id: String(100 + i), routeId, lat: lat + i * 0.002, lon: -122.42 + i * 0.002, bearing: 90, updatedAt: Date.now() - 10_000, label: String(100 + i), headsign: 'Downtown' }));

describe('browser: the agency picker with two agencies', () => {
  it('offers SF and AC, shows SF first, and switching to AC re-subscribes to AC only', async () => {
    const fake = await startFake511Upstream({ apiKey: KEY, vehicles: { SF: buses(5, 'N', 37.76), AC: buses(3, '51B', 37.8) } });
    const env = { FEED: '511', FEED_API_KEY: KEY, FEED_BASE_URL: fake.baseUrl, FEED_AGENCIES: 'SF,AC', UPSTREAM_BUDGET_PER_HOUR: '3600', POLL_INTERVAL_MS: '1000', TILE_URL: '', WEB_CONCURRENCY: '1' };
    const [browser, app] = await Promise.all([launchChromium(), startTopology(env)]);
    const w = await openWatchedPage(browser);
    try {
      await w.page.goto(app.base, { waitUntil: 'load' });
      await w.page.locator('#agency-field').waitFor({ state: 'visible', timeout: 10_000 });
      expect(await w.page.locator('#agency-select option').allTextContents()).toEqual(['SF', 'AC']);
      const ids = async () => Object.keys(await hook.markerPositions(w.page)).sort();
      await waitUntil(ids, (v) => v.length === 5, 15_000, 'the 5 SF markers');
      expect((await ids()).every((id) => id.startsWith('SF:'))).toBe(true);
      expect(fake.calls().some((c) => c.agency === 'AC')).toBe(false);
      // A route of SF selected: switching agency starts the route list and selection over.
      await waitUntil(() => hook.routes(w.page), (r) => r.includes('N'), 5_000, 'route N listed');
      await w.page.locator('#route-N').check();
      await waitUntil(() => hook.selectedRoutes(w.page), (r) => r.join() === 'N', 5_000, 'route N selected');
      await w.page.locator('#agency-select').selectOption('AC');
      await waitUntil(ids, (v) => v.length === 3 && v.every((id) => id.startsWith('AC:')), 15_000, 'the 3 AC markers, and only those');
      expect(fake.calls().some((c) => c.agency === 'AC')).toBe(true);
      expect(await hook.selectedRoutes(w.page)).toEqual([]);
      await waitUntil(() => hook.routes(w.page), (r) => r.join() === '51B', 5_000, 'only AC routes listed');
    } finally {
      await w.close();
      await browser.close();
      await app.stop();
      await fake.close();
    }
  }, 90_000);
});

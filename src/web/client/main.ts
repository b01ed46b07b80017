/**
 * Transit Tracker — browser entry point (bundled by scripts/build-web.mjs).
 *
 * Status model (see status.ts; the status line is a polite ARIA live region):
 * - The socket (Socket.IO at `/socket.io/`) is the primary channel. While it is connected the
 *   status reads `Live (websocket)` or `Live (polling)` — the Engine.IO transport actually in use,
 *   updated on `upgrade`.
 * - When it drops, the Manager retries and the status reads `Reconnecting… attempt n`.
 * - If it stays down for 5 s, or 3 connect errors happen in a row (e.g. `/socket.io/` blocked by a
 *   proxy), or the Manager gives up, the page falls back to `GET /api/vehicles` with
 *   `If-None-Match` every `fallbackIntervalMs` (from `/api/config`) and says so:
 *   `Offline — refreshing every 30 s, data 12 s old` — the age is that of the data on screen
 *   (server `generatedAt`), not of the last request. Reconnection keeps trying meanwhile.
 * - The moment the socket connects again the fallback stops and the status is `Live (…)`.
 * - Before the first connection it reads `Connecting…`.
 *
 * Data: every (re)connect subscribes to the selected routes (empty = all) and the server answers with a
 * snapshot; deltas are applied only when `fromVersion` matches the version held, and a gap triggers a
 * re-subscribe (fresh snapshot). The selection also filters on the client, so changes show at once.
 *
 * `window.__transit` is a test/debug hook for browser tests (see `TransitTestHook`); not an API.
 */
import 'leaflet/dist/leaflet.css';
import './styles.css';
import { AgencyPicker } from './agency-picker.js';
import { FallbackPoller, type FetchLike, type PollOutcome } from './fallback.js';
import { feedKindFromReadyz, feedNotice } from './feed-notice.js';
import { formatUpdatedAgo, formatVehicleCount } from './format.js';
import { newClientId } from './ids.js';
import { LiveClient, type SubscribeAck } from './live-client.js';
import { MapView } from './map-view.js';
import { RoutePicker } from './route-picker.js';
import { collectRoutes, routeSelected } from './routes.js';
import { describeStatus, initialStatus, reduceStatus, type StatusEvent, type StatusState } from './status.js';
import { DEFAULT_CONFIG, parseConfig, type ClientConfig } from '../../protocol/client-config.js';
import type { Vehicle } from '../../protocol/wire.js';
import { VehicleStore } from './vehicle-store.js';

/** Test/debug hook for browser tests (Playwright): read-only views of what the page shows. */
export interface TransitTestHook {
  /** Vehicle markers on the map. */
  markerCount(): number;
  /** Marker positions by vehicle id: `[lat, lon]`. */
  markerPositions(): Record<string, [number, number]>;
  /** The status line's full text, e.g. `"Live (websocket)"`. */
  status(): string;
  /** Routes listed in the route picker (every route seen so far), in display order. */
  routes(): string[];
  /** Routes currently selected in the picker (empty = all routes). */
  selectedRoutes(): string[];
  /** Agencies offered by the agency picker (empty when it is hidden: the server has at most one). */
  agencies(): string[];
  /** The agency chosen in the picker; null when there is none to choose. */
  agency(): string | null;
}

declare global {
  interface Window {
    __transit?: TransitTestHook;
  }
}

function byId<T extends HTMLElement>(id: string, type: { new (): T }): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`index.html is missing #${id}`);
  return el;
}

const els = {
  status: byId('status', HTMLElement),
  statusMain: byId('status-main', HTMLElement),
  statusDetail: byId('status-detail', HTMLElement),
  count: byId('vehicle-count', HTMLElement),
  age: byId('data-age', HTMLElement),
  tileNote: byId('tile-note', HTMLElement),
  feedNote: byId('feed-note', HTMLElement),
  map: byId('map', HTMLElement),
  routeList: byId('route-list', HTMLElement),
  routesAll: byId('routes-all', HTMLButtonElement),
  routeSummary: byId('route-summary', HTMLElement),
  routeFeedback: byId('route-feedback', HTMLElement),
  agencyField: byId('agency-field', HTMLElement),
  agencySelect: byId('agency-select', HTMLSelectElement),
};

let config: ClientConfig = DEFAULT_CONFIG;
let status: StatusState = initialStatus(Date.now());
const store = new VehicleStore();
const seenRoutes = new Set<string>();

const mapView = new MapView(els.map, els.tileNote);

const picker = new RoutePicker({
  list: els.routeList,
  allButton: els.routesAll,
  summary: els.routeSummary,
  onChange: () => {
    render();
    live.subscribe();
    poller.pollNow();
  },
});

// Switching agency re-subscribes: the server answers with that agency's snapshot. Its routes are
// other routes, so the route list and selection start over.
const agencyPicker = new AgencyPicker({
  container: els.agencyField,
  select: els.agencySelect,
  onChange: () => {
    picker.clear();
    seenRoutes.clear();
    live.subscribe();
    poller.pollNow();
  },
});

const live = new LiveClient({
  clientId: newClientId(),
  store,
  routes: () => picker.selected(),
  agency: () => agencyPicker.selected(),
  onData: () => render(),
  onStatus: (event) => dispatch(event),
  onSubscribeResult: showSubscribeResult,
});

const fetchJson: FetchLike = (url, init) => fetch(url, init);

const poller = new FallbackPoller({
  fetch: fetchJson,
  intervalMs: config.fallbackIntervalMs,
  routes: () => picker.selected(),
  agency: () => agencyPicker.selected(),
  onOutcome: onPollOutcome,
});

function onPollOutcome(outcome: PollOutcome): void {
  if (outcome.kind === 'snapshot') {
    store.replace(outcome.snapshot);
    render();
  } else if (outcome.kind === 'error') {
    console.warn(`[transit] fallback poll failed: ${outcome.message}`);
  }
}

function dispatch(event: StatusEvent): void {
  status = reduceStatus(status, event);
  if (status.fallback && !poller.running) poller.start();
  else if (!status.fallback && poller.running) poller.stop();
  renderClock();
}

function visibleVehicles(): Vehicle[] {
  const selection = picker.selectedSet();
  const out: Vehicle[] = [];
  for (const v of store.values()) if (routeSelected(selection, v.routeId)) out.push(v);
  return out;
}

function render(): void {
  if (collectRoutes(seenRoutes, store.values())) picker.addRoutes(seenRoutes);
  const shown = visibleVehicles();
  mapView.render(shown);
  els.count.textContent = formatVehicleCount(shown.length);
  renderClock();
}

/** Status and data age; runs on every change and every second. */
function renderClock(): void {
  const now = Date.now();
  const view = describeStatus(status, {
    now,
    fallbackIntervalMs: config.fallbackIntervalMs,
    dataGeneratedAt: store.generatedAt,
  });
  // Only the state part is announced; the ticking age sits in an aria-hidden span so the live
  // region does not speak every second (the age is readable in #data-age).
  if (els.statusMain.textContent !== view.main) els.statusMain.textContent = view.main;
  if (els.statusDetail.textContent !== view.detail) els.statusDetail.textContent = view.detail;
  if (els.status.dataset['kind'] !== view.kind) els.status.dataset['kind'] = view.kind;
  const age = formatUpdatedAgo(now, store.generatedAt);
  if (els.age.textContent !== age) els.age.textContent = age;
}

function showSubscribeResult(result: SubscribeAck | { status: 'timeout' }): void {
  const message =
    result.status === 'ok'
      ? ''
      : result.status === 'timeout'
        ? 'The server did not confirm the route selection.'
        : `Could not select routes: ${result.message}`;
  els.routeFeedback.textContent = message;
  els.routeFeedback.hidden = message === '';
}

async function loadConfig(attempt = 1): Promise<void> {
  try {
    const res = await fetch('/api/config', { headers: { Accept: 'application/json' } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    config = parseConfig(await res.json());
    poller.setIntervalMs(config.fallbackIntervalMs);
    mapView.setTiles(config.tileUrl, config.tileAttribution);
    const before = agencyPicker.selected();
    agencyPicker.setAgencies(config.agencies);
    // The first subscribe may have gone out before the config arrived (server default): align it.
    if (agencyPicker.selected() !== before && agencyPicker.selected() !== config.agencies[0]) live.subscribe();
    renderClock();
  } catch (err) {
    console.warn(`[transit] /api/config failed (attempt ${attempt}): ${err instanceof Error ? err.message : String(err)}`);
    mapView.setTiles('', ''); // plain background until the config arrives
    if (attempt < 5) setTimeout(() => void loadConfig(attempt + 1), Math.min(30_000, 2_000 * 2 ** attempt));
  }
}

window.__transit = {
  markerCount: () => mapView.markerCount,
  markerPositions: () => mapView.markerPositions(),
  status: () => els.status.textContent ?? '',
  routes: () => picker.routes(),
  selectedRoutes: () => picker.selected(),
  agencies: () => agencyPicker.agencies(),
  agency: () => agencyPicker.selected(),
};

/** Shows the simulated-data notice when the server's feed is the simulator (read once from /readyz). */
async function loadFeedNotice(): Promise<void> {
  try {
    // 503 while a worker drains still carries the details: read the body either way.
    const res = await fetch('/readyz', { headers: { Accept: 'application/json' } });
    const notice = feedNotice(feedKindFromReadyz(await res.json()));
    els.feedNote.textContent = notice ?? '';
    els.feedNote.hidden = notice === null;
  } catch (err) {
    console.warn(`[transit] /readyz failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

renderClock();
void loadConfig();
void loadFeedNotice();
live.start();
setInterval(() => dispatch({ type: 'tick', now: Date.now() }), 1_000);

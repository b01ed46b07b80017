import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
  type Request,
  type Response,
} from 'playwright-core';
import { ownerOfSession } from '../../../src/shared/session-id.js';

/** Debian's chromium (package `chromium`; scripts/check-runtime.mjs installs it before `npm test`). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Headless, offline-friendly flags. `--host-resolver-rules` makes every host name except
 * 127.0.0.1 unresolvable, so the page can never reach the internet (tiles, fonts, anything).
 */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

/** Launches Debian's chromium; fails naming the package when it is not installed. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the browser tests need the Debian package "chromium" ` +
        `(sudo apt-get install -y --no-install-recommends chromium; scripts/check-runtime.mjs installs it before "npm test").`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 60_000 });
}

/** One status-line change seen in the page (MutationObserver), with the page's clock. */
export interface StatusSample {
  t: number;
  kind: string;
  text: string;
}

/** What the init script keeps in the page (`window.__probe`). */
interface PageProbe {
  statuses: StatusSample[];
  csp: string[];
}

/**
 * Runs before the page's own scripts (CDP, so the page's CSP does not apply to it): records
 * every change of the status line (text and `data-kind`) and every CSP violation event.
 */
function probeScript(): void {
  const w = window as unknown as { __probe: PageProbe };
  const probe: PageProbe = { statuses: [], csp: [] };
  w.__probe = probe;
  document.addEventListener('securitypolicyviolation', (e) => {
    probe.csp.push(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
  });
  const watch = () => {
    const el = document.getElementById('status');
    if (!el) return;
    const push = () => {
      const text = el.textContent ?? '';
      const kind = el.dataset['kind'] ?? '';
      const last = probe.statuses[probe.statuses.length - 1];
      if (!last || last.text !== text || last.kind !== kind) probe.statuses.push({ t: Date.now(), kind, text });
    };
    push();
    new MutationObserver(push).observe(el, { subtree: true, childList: true, characterData: true, attributes: true });
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', watch);
  else watch();
}

export interface TrackedHttp {
  url: string;
  method: string;
  at: number;
  headers: Record<string, string>;
  status?: number;
}

/** A page with everything the tests observe from the outside attached. */
export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Every console message (type: text). */
  console: string[];
  pageErrors: string[];
  /** Console messages about the Content-Security-Policy (must stay empty). */
  cspConsole: () => string[];
  /** `/socket.io/` responses by status, and the 400s in full. */
  socketStatuses: Map<number, number>;
  socket400s: { url: string; body: string }[];
  /** `/socket.io/` requests that failed at the network level (aborted, reset). */
  socketFailures: string[];
  /** WebSocket errors (a handshake refused with 400 shows here, not as a response). */
  wsErrors: string[];
  /** Text frames the page received over WebSocket, with the test's clock. */
  wsFrames: { t: number; payload: string }[];
  /** Every HTTP 400 the page got for `/socket.io/`: polling responses plus refused WebSocket handshakes. */
  all400s: () => number;
  /** Engine.IO session ids in the order the page first used them (polling URLs and WebSocket URLs). */
  sids: string[];
  /** Requests for `/api/vehicles` (the HTTP fallback), with their headers and statuses. */
  apiVehicles: TrackedHttp[];
  /** Requests to anything but 127.0.0.1 (must stay empty: tests run offline). */
  foreign: string[];
  /** Main-frame navigations after the first load (a reload would show here). */
  navigations: () => number;
  /** The worker that owns the page's newest session. */
  owner: () => number | null;
  /** Status-line changes recorded in the page. */
  statuses: () => Promise<StatusSample[]>;
  cspEvents: () => Promise<string[]>;
  close: () => Promise<void>;
}

const isSocketIo = (url: string) => new URL(url).pathname.startsWith('/socket.io/');

/** Opens a fresh context + page with the probe installed and listeners attached; does not navigate. */
export async function openWatchedPage(
  browser: Browser,
  opts: { context?: BrowserContextOptions; beforeLoad?: (page: Page) => Promise<unknown> } = {},
): Promise<WatchedPage> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    deviceScaleFactor: 1,
    serviceWorkers: 'block',
    ...opts.context,
  });
  await context.addInitScript(probeScript);
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const w: WatchedPage = {
    page,
    context,
    console: [],
    pageErrors: [],
    cspConsole: () => w.console.filter((m) => /content security policy|content-security-policy|refused to (load|execute|apply|connect)/i.test(m)),
    socketStatuses: new Map(),
    socket400s: [],
    socketFailures: [],
    wsErrors: [],
    wsFrames: [],
    all400s: () => w.socket400s.length + w.wsErrors.filter((e) => /\b400\b/.test(e)).length,
    sids: [],
    apiVehicles: [],
    foreign: [],
    navigations: () => navigations,
    owner: () => {
      const sid = w.sids.at(-1);
      return sid === undefined ? null : ownerOfSession(sid);
    },
    statuses: () => page.evaluate(() => (window as unknown as { __probe: PageProbe }).__probe.statuses),
    cspEvents: () => page.evaluate(() => (window as unknown as { __probe: PageProbe }).__probe.csp),
    close: async () => {
      await context.close().catch(() => undefined);
    },
  };
  let navigations = -1;
  const noteSid = (url: string) => {
    const sid = new URL(url).searchParams.get('sid');
    if (sid && w.sids.at(-1) !== sid && !w.sids.includes(sid)) w.sids.push(sid);
  };
  page.on('console', (m) => w.console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => w.pageErrors.push(String(e)));
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) navigations++;
  });
  page.on('websocket', (ws) => {
    noteSid(ws.url());
    ws.on('framereceived', (f) => {
      if (typeof f.payload === 'string') w.wsFrames.push({ t: Date.now(), payload: f.payload });
    });
    ws.on('socketerror', (e) => w.wsErrors.push(`${ws.url()}: ${e}`));
  });
  page.on('request', (req: Request) => {
    const url = new URL(req.url());
    if ((url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'ws:') && url.hostname !== '127.0.0.1') {
      w.foreign.push(req.url());
    }
    if (isSocketIo(req.url())) noteSid(req.url());
    if (url.pathname === '/api/vehicles') {
      w.apiVehicles.push({ url: req.url(), method: req.method(), at: Date.now(), headers: req.headers() });
    }
  });
  page.on('requestfailed', (req) => {
    if (isSocketIo(req.url())) w.socketFailures.push(`${req.method()} ${req.url()}: ${req.failure()?.errorText ?? '?'}`);
  });
  page.on('response', (res: Response) => {
    const url = res.url();
    if (isSocketIo(url)) {
      const status = res.status();
      w.socketStatuses.set(status, (w.socketStatuses.get(status) ?? 0) + 1);
      if (status === 400) {
        const entry = { url, body: '' };
        w.socket400s.push(entry);
        res.text().then((b) => (entry.body = b), () => undefined);
      }
    }
    if (new URL(url).pathname === '/api/vehicles') {
      const tracked = w.apiVehicles.findLast((r) => r.url === url && r.status === undefined);
      if (tracked) tracked.status = res.status();
    }
  });
  if (opts.beforeLoad) await opts.beforeLoad(page);
  return w;
}

/** The page's test hook, `window.__transit` (see `TransitTestHook` in src/web/client/main.ts). */
interface TransitHook {
  markerCount(): number;
  markerPositions(): Record<string, [number, number]>;
  status(): string;
  routes(): string[];
  selectedRoutes(): string[];
}
type HookWindow = { __transit?: TransitHook };

/** Reads the page's test hook. */
export const hook = {
  status: (page: Page) => page.evaluate(() => (window as unknown as HookWindow).__transit?.status() ?? ''),
  markerCount: (page: Page) => page.evaluate(() => (window as unknown as HookWindow).__transit?.markerCount() ?? -1),
  markerPositions: (page: Page) => page.evaluate(() => (window as unknown as HookWindow).__transit?.markerPositions() ?? {}),
  routes: (page: Page) => page.evaluate(() => (window as unknown as HookWindow).__transit?.routes() ?? []),
  selectedRoutes: (page: Page) => page.evaluate(() => (window as unknown as HookWindow).__transit?.selectedRoutes() ?? []),
};

export { sleep, waitUntil } from '../../support/wait.js';

/** Prometheus text → value of one series (`name` or `name{labels}` exactly as printed), or NaN. */
export function metricValue(text: string, series: string): number {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return Number.NaN;
}

export async function scrape(metricsPort: number): Promise<{ viewers: number; sockets: number; polling: number; websocket: number }> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const polling = metricValue(text, 'transit_socket_connections{transport="polling"}');
  const websocket = metricValue(text, 'transit_socket_connections{transport="websocket"}');
  return { viewers: metricValue(text, 'transit_demand_viewers'), sockets: polling + websocket, polling, websocket };
}

interface VehiclesBody {
  version: number;
  generatedAt: number;
  vehicles: { id: string; routeId: string; lat: number; lon: number }[];
}

/** `GET /api/vehicles[?routes=…]` from the test (note: the server counts it as fallback demand). */
export async function apiVehicles(base: string, routes?: string[]): Promise<VehiclesBody> {
  const url = routes ? `${base}/api/vehicles?routes=${routes.map(encodeURIComponent).join(',')}` : `${base}/api/vehicles`;
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return (await res.json()) as VehiclesBody;
}

/** A tile server on 127.0.0.1 that answers 404 to everything (offline machines have no tiles). */
export async function startNoTileServer(): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server: Server = createServer((_req, res) => {
    requests++;
    res.writeHead(404, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' }).end('no tiles here\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/{z}/{x}/{y}.png`,
    requests: () => requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A Socket.IO EVENT (`42[...]`) or ACK (`43<id>[...]`) frame, decoded. */
export interface IoFrame {
  t: number;
  kind: 'event' | 'ack';
  event?: string;
  args: unknown[];
}

/** Decodes the Socket.IO event/ack frames among WebSocket text frames (pings and the like are skipped). */
export function ioFrames(frames: { t: number; payload: string }[]): IoFrame[] {
  const out: IoFrame[] = [];
  for (const { t, payload } of frames) {
    const m = /^4([23])(\d*)(\[.*)$/s.exec(payload);
    if (!m) continue;
    let args: unknown[];
    try {
      args = JSON.parse(m[3]!) as unknown[];
    } catch {
      continue;
    }
    if (m[1] === '2') out.push({ t, kind: 'event', event: String(args[0]), args: args.slice(1) });
    else out.push({ t, kind: 'ack', args });
  }
  return out;
}

/** Fails the test if the page logged a CSP violation, threw, or tried to reach anything but 127.0.0.1. */
export async function pageProblems(w: WatchedPage): Promise<{ csp: string[]; pageErrors: string[]; foreign: string[] }> {
  const events = await w.cspEvents().catch(() => [] as string[]);
  return { csp: [...w.cspConsole(), ...events], pageErrors: [...w.pageErrors], foreign: [...w.foreign] };
}

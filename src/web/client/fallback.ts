/**
 * HTTP fallback while the socket is down: poll `GET /api/vehicles` every `fallbackIntervalMs`
 * with `If-None-Match`, so an unchanged picture costs a 304 and no body.
 * DOM-free (fetch and timers are injected): unit-tested under vitest's node environment.
 */
import { isSnapshot } from '../../protocol/guards.js';
import type { Snapshot } from '../../protocol/wire.js';

/**
 * `/api/vehicles` for all routes, `/api/vehicles?routes=N,38` for some (each id URL-encoded,
 * commas literal), plus `agency=AC` when one is chosen.
 */
export function vehiclesUrl(routes: readonly string[], base = '/api/vehicles', agency: string | null = null): string {
  const query = [...(routes.length > 0 ? [`routes=${routes.map(encodeURIComponent).join(',')}`] : []), ...(agency !== null ? [`agency=${encodeURIComponent(agency)}`] : [])];
  return query.length === 0 ? base : `${base}?${query.join('&')}`;
}

/**
 * The ETag of the last 200, tied to the URL it came from: a different route set is a different
 * resource, so its request must not carry another URL's validator.
 */
export class EtagCache {
  private url: string | null = null;
  private etag: string | null = null;

  /** Headers for a GET of `url`: `If-None-Match` only when we hold that URL's ETag. */
  headersFor(url: string): Record<string, string> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.etag !== null && this.url === url) headers['If-None-Match'] = this.etag;
    return headers;
  }

  remember(url: string, etag: string | null): void {
    this.url = etag === null ? null : url;
    this.etag = etag;
  }

  /** Forget the validator (the data shown may since have changed by other means, e.g. the socket). */
  clear(): void {
    this.url = null;
    this.etag = null;
  }

  get current(): string | null {
    return this.etag;
  }
}

export interface ResponseLike {
  status: number;
  headers: { get(name: string): string | null };
  json(): Promise<unknown>;
}

export type FetchLike = (
  url: string,
  init: { headers: Record<string, string>; signal?: AbortSignal; cache?: 'no-store' },
) => Promise<ResponseLike>;

export type PollOutcome =
  | { kind: 'snapshot'; snapshot: Snapshot }
  | { kind: 'not-modified' }
  | { kind: 'error'; message: string };

/** One conditional GET: 200 → snapshot (ETag remembered), 304 → not-modified, anything else → error. */
export async function pollVehicles(
  fetchFn: FetchLike,
  url: string,
  etags: EtagCache,
  signal?: AbortSignal,
): Promise<PollOutcome> {
  let res: ResponseLike;
  try {
    // no-store: we do our own revalidation; the browser cache must not answer or turn a 304 into a 200.
    res = await fetchFn(url, { headers: etags.headersFor(url), cache: 'no-store', ...(signal ? { signal } : {}) });
  } catch (err) {
    return { kind: 'error', message: `request failed: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (res.status === 304) return { kind: 'not-modified' };
  if (res.status !== 200) return { kind: 'error', message: `HTTP ${res.status}` };
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    return { kind: 'error', message: 'response is not JSON' };
  }
  if (!isSnapshot(body)) return { kind: 'error', message: 'response is not a vehicles snapshot' };
  etags.remember(url, res.headers.get('ETag'));
  return { kind: 'snapshot', snapshot: body };
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const globalTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]),
};

export interface FallbackPollerOptions {
  fetch: FetchLike;
  intervalMs: number;
  /** Routes to ask for at each poll (empty = all). */
  routes: () => readonly string[];
  /** The agency to ask for (null/absent = the server's default). */
  agency?: () => string | null;
  onOutcome: (outcome: PollOutcome) => void;
  timers?: Timers;
  base?: string;
}

/**
 * Polls at once on `start()`, then `intervalMs` after each poll finishes (never two at a time).
 * `stop()` cancels the timer, aborts the request in flight and drops any late answer.
 */
export class FallbackPoller {
  private readonly etags = new EtagCache();
  private readonly timers: Timers;
  private intervalMs: number;
  private timer: unknown = null;
  private inFlight: AbortController | null = null;
  private generation = 0;
  private active = false;
  private polls = 0;

  constructor(private readonly opts: FallbackPollerOptions) {
    this.timers = opts.timers ?? globalTimers;
    this.intervalMs = opts.intervalMs;
  }

  get running(): boolean {
    return this.active;
  }

  /** Requests sent so far (for tests and debugging). */
  get pollCount(): number {
    return this.polls;
  }

  get interval(): number {
    return this.intervalMs;
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    // Whatever the socket delivered since the last fallback makes an old validator meaningless.
    this.etags.clear();
    void this.poll();
  }

  stop(): void {
    if (!this.active) return;
    this.active = false;
    this.generation++;
    this.cancelTimer();
    this.inFlight?.abort();
    this.inFlight = null;
  }

  /** Poll now (e.g. the route selection changed) instead of waiting for the timer. */
  pollNow(): void {
    if (!this.active) return;
    this.generation++;
    this.cancelTimer();
    this.inFlight?.abort();
    this.inFlight = null;
    void this.poll();
  }

  setIntervalMs(ms: number): void {
    this.intervalMs = ms;
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private async poll(): Promise<void> {
    const generation = this.generation;
    const controller = typeof AbortController === 'function' ? new AbortController() : null;
    this.inFlight = controller;
    this.polls++;
    const url = vehiclesUrl(this.opts.routes(), this.opts.base, this.opts.agency?.() ?? null);
    const outcome = await pollVehicles(this.opts.fetch, url, this.etags, controller?.signal);
    if (generation !== this.generation || !this.active) return; // stopped or superseded meanwhile
    this.inFlight = null;
    this.opts.onOutcome(outcome);
    if (generation !== this.generation || !this.active) return; // onOutcome may have stopped us
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      void this.poll();
    }, this.intervalMs);
  }
}

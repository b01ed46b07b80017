import type { Vehicle } from '../../domain/vehicle.js';
import { FeedError, type Feed, type FeedResult } from '../feed.js';
import { GtfsRtFeed } from '../gtfs-rt/gtfs-rt.feed.js';
import { DEFAULT_FEED_MAX_BYTES, getUpstreamBody, type UpstreamGet } from '../upstream-http.js';
import { decodeVehicleMonitoring } from './siri.decode.js';

/** 511.org's two vehicle-position endpoints. */
export type Five11Format = 'siri' | 'gtfs-rt';

/** Settings of a {@link Five11Feed}. */
export interface Five11FeedOptions {
  /** The 511.org token; sent only as the `api_key` query parameter, never logged. */
  apiKey: string;
  /** Operator ids (`SF` = SF Muni, `AC`, `BA`…); one upstream request each per poll. */
  agencies: readonly string[];
  /** @default "https://api.511.org/transit" */
  baseUrl: string;
  /** `siri` (VehicleMonitoring JSON: headsigns, occupancy) or `gtfs-rt` (vehiclepositions protobuf). */
  format: Five11Format;
  timeoutMs: number;
  /** @default 16 MiB */
  maxBytes?: number;
  /** Injectable for tests. @default globalThis.fetch */
  fetchImpl?: typeof fetch;
  /** @default Date.now */
  now?: () => number;
}

/** The request URL of one agency (with the key) and the same without the key, for logs. */
export function five11Url(baseUrl: string, format: Five11Format, agency: string, apiKey: string): { url: string; target: string } {
  const base = baseUrl.replace(/\/+$/, '');
  const path = format === 'siri' ? 'VehicleMonitoring' : 'vehiclepositions';
  const query = new URLSearchParams(format === 'siri' ? { agency, format: 'json' } : { agency });
  const target = `${base}/${path}?${query}`;
  return { url: `${base}/${path}?api_key=${encodeURIComponent(apiKey)}&${query}`, target };
}

/**
 * 511.org's transit API (https://511.org/open-data/transit): one GET per configured agency
 * per `fetch()`, in order, merged into one list. With more than one agency vehicle ids are
 * prefixed `<agency>:` (fleet numbers repeat across operators). The first agency that fails
 * fails the whole fetch and the rest are not asked (after a 429 or 401 they would only burn
 * more of the key's 60 requests an hour); the poller then keeps the last good snapshot.
 */
export class Five11Feed implements Feed {
  readonly kind = '511' as const;
  readonly callsPerFetch: number;
  readonly agencies: readonly string[];
  private readonly sources: { agency: string; fetch: (signal?: AbortSignal) => Promise<FeedResult> }[];
  private readonly apiKey: string;

  constructor(options: Five11FeedOptions) {
    if (!options.apiKey) throw new TypeError('FEED=511 needs FEED_API_KEY');
    if (options.agencies.length === 0) throw new RangeError('FEED=511 needs at least one agency in FEED_AGENCIES');
    this.apiKey = options.apiKey;
    this.callsPerFetch = options.agencies.length;
    this.agencies = [...options.agencies];
    const now = options.now ?? Date.now;
    const common = { timeoutMs: options.timeoutMs, maxBytes: options.maxBytes ?? DEFAULT_FEED_MAX_BYTES, fetchImpl: options.fetchImpl ?? globalThis.fetch, now };
    this.sources = options.agencies.map((agency) => {
      const { url, target } = five11Url(options.baseUrl, options.format, agency, options.apiKey);
      if (options.format === 'gtfs-rt') {
        const feed = new GtfsRtFeed({ ...common, url, target });
        return { agency, fetch: (signal?: AbortSignal) => feed.fetch(signal) };
      }
      const request: UpstreamGet = { ...common, url, target, accept: 'application/json' };
      return { agency, fetch: async (signal?: AbortSignal) => decodeVehicleMonitoring(await getUpstreamBody(request, signal), now()) };
    });
  }

  /** `agencies`: only these (the watched ones), in configured order; ids keep their prefix either way. */
  async fetch(signal?: AbortSignal, agencies?: readonly string[]): Promise<FeedResult> {
    const prefix = this.sources.length > 1;
    const only = agencies && new Set(agencies);
    const sources = only ? this.sources.filter((s) => only.has(s.agency)) : this.sources;
    const vehicles: Vehicle[] = [];
    let skipped = 0;
    let fetchedAt = 0;
    for (const source of sources) {
      let result: FeedResult;
      try {
        result = await source.fetch(signal);
      } catch (error) {
        throw this.scrubbed(error);
      }
      skipped += result.skipped ?? 0;
      fetchedAt = Math.max(fetchedAt, result.fetchedAt);
      for (const v of result.vehicles) vehicles.push(prefix ? { ...v, id: `${source.agency}:${v.id}` } : v);
    }
    return { vehicles, fetchedAt, skipped, calls: sources.length };
  }

  /** The error without the key, should any layer below have put the URL into a message. */
  private scrubbed(error: unknown): unknown {
    if (!(error instanceof Error) || !error.message.includes(this.apiKey)) return error;
    const message = error.message.replaceAll(this.apiKey, '***');
    if (error instanceof FeedError) return new FeedError(error.failure, message, { retryAfterMs: error.retryAfterMs });
    return new FeedError('network', message);
  }
}

import { FeedError, type Feed, type FeedResult } from '../feed.js';
import { DEFAULT_FEED_MAX_BYTES, getUpstreamBody, type UpstreamGet } from '../upstream-http.js';
import { decodeVehiclePositions } from './gtfs-rt.decode.js';
import { redactUrl } from './gtfs-rt.errors.js';

export { DEFAULT_FEED_MAX_BYTES } from '../upstream-http.js';

/** Settings of a {@link GtfsRtFeed}. */
export interface GtfsRtFeedOptions {
  /** The GTFS-Realtime VehiclePositions URL (may carry an API key in its query). */
  url: string;
  /** The URL as logged; @default origin and path of `url` (the query may hold a key) */
  target?: string;
  /** Deadline of one request, headers and body together. */
  timeoutMs: number;
  /** Largest body read; a larger one is refused while streaming (it would sit in the primary). @default 16 MiB */
  maxBytes?: number;
  /** Injectable for tests. @default globalThis.fetch */
  fetchImpl?: typeof fetch;
  /** Clock in ms since the epoch, used when the feed has no timestamps. @default Date.now */
  now?: () => number;
}

/**
 * A GTFS-Realtime VehiclePositions upstream over HTTP. Each `fetch()` is exactly one
 * GET — no retries here, because upstream calls are rationed (a 511.org key allows
 * 60 an hour) and the poller decides when to call again.
 */
export class GtfsRtFeed implements Feed {
  readonly kind = 'gtfs-rt' as const;
  private readonly request: UpstreamGet;
  private readonly now: () => number;

  constructor(options: GtfsRtFeedOptions) {
    const { protocol } = new URL(options.url);
    if (protocol !== 'http:' && protocol !== 'https:') {
      throw new TypeError(`GTFS-RT feed URL must be http(s), got ${protocol}`);
    }
    if (!(options.timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${options.timeoutMs}`);
    this.now = options.now ?? Date.now;
    this.request = {
      url: options.url,
      target: options.target ?? redactUrl(options.url),
      accept: 'application/x-protobuf',
      timeoutMs: options.timeoutMs,
      maxBytes: options.maxBytes ?? DEFAULT_FEED_MAX_BYTES,
      fetchImpl: options.fetchImpl ?? globalThis.fetch,
      now: this.now,
    };
  }

  /** One GET of the feed; resolves with every decodable vehicle or rejects with a FeedError. */
  async fetch(signal?: AbortSignal): Promise<FeedResult> {
    const body = await getUpstreamBody(this.request, signal);
    if (body.byteLength === 0) {
      throw new FeedError('empty', `upstream answered with an empty body (GET ${this.request.target})`);
    }
    return decodeVehiclePositions(body, this.now());
  }
}

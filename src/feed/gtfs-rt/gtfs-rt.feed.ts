import { FeedError, type Feed, type FeedResult } from '../feed.js';
import { decodeVehiclePositions } from './gtfs-rt.decode.js';
import { classifyFetchFailure, httpError, redactUrl } from './gtfs-rt.errors.js';

/** Settings of a {@link GtfsRtFeed}. */
export interface GtfsRtFeedOptions {
  /** The GTFS-Realtime VehiclePositions URL (may carry an API key in its query). */
  url: string;
  /** Deadline of one request, headers and body together. */
  timeoutMs: number;
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
  private readonly url: string;
  private readonly target: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;

  constructor(options: GtfsRtFeedOptions) {
    const { protocol } = new URL(options.url);
    if (protocol !== 'http:' && protocol !== 'https:') {
      throw new TypeError(`GTFS-RT feed URL must be http(s), got ${protocol}`);
    }
    if (!(options.timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${options.timeoutMs}`);
    this.url = options.url;
    this.target = redactUrl(options.url);
    this.timeoutMs = options.timeoutMs;
    this.fetchImpl = options.fetchImpl ?? globalThis.fetch;
    this.now = options.now ?? Date.now;
  }

  /** One GET of the feed; resolves with every decodable vehicle or rejects with a FeedError. */
  async fetch(signal?: AbortSignal): Promise<FeedResult> {
    const timeoutSignal = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeoutSignal]) : timeoutSignal;
    const request = { target: this.target, timeoutMs: this.timeoutMs, timeoutSignal, callerSignal: signal };
    let body: Uint8Array;
    try {
      body = await this.download(combined);
    } catch (error) {
      throw classifyFetchFailure(error, request);
    }
    if (body.byteLength === 0) {
      throw new FeedError('empty', `upstream answered with an empty body (GET ${this.target})`);
    }
    return decodeVehiclePositions(body, this.now());
  }

  /** The response body, read under the same deadline as the headers (a stalled body is a timeout too). */
  private async download(signal: AbortSignal): Promise<Uint8Array> {
    const response = await this.fetchImpl(this.url, {
      method: 'GET',
      headers: { accept: 'application/x-protobuf' },
      signal,
    });
    if (!response.ok) {
      // Cancel rather than read the error page: nobody needs it, and it frees the socket now.
      await response.body?.cancel().catch(() => undefined);
      throw httpError(response.status, response.statusText, this.target);
    }
    return new Uint8Array(await response.arrayBuffer());
  }
}

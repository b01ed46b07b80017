import { FeedError, type Feed, type FeedResult } from '../feed.js';
import { decodeVehiclePositions } from './gtfs-rt.decode.js';
import { classifyFetchFailure, httpError, redactUrl } from './gtfs-rt.errors.js';

/** Settings of a {@link GtfsRtFeed}. */
export interface GtfsRtFeedOptions {
  /** The GTFS-Realtime VehiclePositions URL (may carry an API key in its query). */
  url: string;
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
  private readonly url: string;
  private readonly target: string;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
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
    this.maxBytes = options.maxBytes ?? DEFAULT_FEED_MAX_BYTES;
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
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (declared > this.maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw this.tooLarge(`declares ${declared} bytes`);
    }
    return this.readAtMost(response);
  }

  /** Reads the body while counting; past `maxBytes` the stream is cancelled, not buffered. */
  private async readAtMost(response: Response): Promise<Uint8Array> {
    if (!response.body) return new Uint8Array(0);
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > this.maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw this.tooLarge(`sent more than ${this.maxBytes} bytes`);
      }
      chunks.push(value);
    }
    const body = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      body.set(c, at);
      at += c.byteLength;
    }
    return body;
  }

  private tooLarge(what: string): FeedError {
    return new FeedError('malformed', `upstream body too large: it ${what}, FEED_MAX_BYTES is ${this.maxBytes} (GET ${this.target}); not read further`);
  }
}

/** Default FEED_MAX_BYTES: a 5,000-vehicle VehiclePositions feed is about 1 MB. */
export const DEFAULT_FEED_MAX_BYTES = 16 * 1024 * 1024;

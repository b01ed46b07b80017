import { FeedError } from './feed.js';
import { classifyFetchFailure, httpError } from './gtfs-rt/gtfs-rt.errors.js';

/** Default FEED_MAX_BYTES: a 5,000-vehicle VehiclePositions feed is about 1 MB. */
export const DEFAULT_FEED_MAX_BYTES = 16 * 1024 * 1024;

/** One upstream GET as the feeds make it. */
export interface UpstreamGet {
  /** The URL requested (may carry an API key: never log it). */
  url: string;
  /** The URL as safe to log (no credentials). */
  target: string;
  accept: string;
  /** Deadline of the request, headers and body together. */
  timeoutMs: number;
  /** Largest body read; a larger one is refused while streaming. */
  maxBytes: number;
  fetchImpl: typeof fetch;
  /** Clock for `Retry-After` dates. */
  now: () => number;
}

/**
 * One GET, body included, under one deadline. Resolves with the body bytes of a 2xx answer;
 * rejects with a {@link FeedError} for everything else (status, timeout, network, size).
 */
export async function getUpstreamBody(req: UpstreamGet, signal?: AbortSignal): Promise<Uint8Array> {
  const timeoutSignal = AbortSignal.timeout(req.timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeoutSignal]) : timeoutSignal;
  try {
    return await download(req, combined);
  } catch (error) {
    throw classifyFetchFailure(error, { target: req.target, timeoutMs: req.timeoutMs, timeoutSignal, callerSignal: signal });
  }
}

async function download(req: UpstreamGet, signal: AbortSignal): Promise<Uint8Array> {
  const response = await req.fetchImpl(req.url, { method: 'GET', headers: { accept: req.accept }, signal });
  if (!response.ok) {
    // Cancel rather than read the error page: nobody needs it, and it frees the socket now.
    await response.body?.cancel().catch(() => undefined);
    throw httpError(response.status, response.statusText, req.target, response.headers.get('retry-after'), req.now());
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > req.maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(req, `declares ${declared} bytes`);
  }
  return readAtMost(response, req);
}

/** Reads the body while counting; past `maxBytes` the stream is cancelled, not buffered. */
async function readAtMost(response: Response, req: UpstreamGet): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > req.maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(req, `sent more than ${req.maxBytes} bytes`);
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

function tooLarge(req: UpstreamGet, what: string): FeedError {
  return new FeedError('malformed', `upstream body too large: it ${what}, FEED_MAX_BYTES is ${req.maxBytes} (GET ${req.target}); not read further`);
}

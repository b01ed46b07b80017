import { STATUS_CODES } from 'node:http';
import { redactUrlsInText } from '../../config/redact.js';
import { callerAbortError } from '../feed-abort.js';
import { FeedError } from '../feed.js';
import { parseRetryAfter } from '../retry-after.js';

/**
 * The URL as safe to log: origin and path only. Real feeds (511.org, …) carry the API
 * key in the query string, and error messages end up in logs and metrics labels.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * The FeedError for an upstream that answered, but not with 2xx: 401/403 are `unauthorized`
 * (the key is wrong or revoked: retrying will not help), 429 is `rate_limited` with the wait
 * its `Retry-After` asks for, anything else `http_error`.
 */
export function httpError(status: number, statusText: string, target: string, retryAfter?: string | null, now = Date.now()): FeedError {
  // HTTP/2 has no reason phrase; fall back to the standard one so the log still reads well.
  const reason = statusText || STATUS_CODES[status] || 'unknown status';
  const what = `upstream answered ${status} ${reason} for GET ${target}`;
  if (status === 401 || status === 403) {
    return new FeedError('unauthorized', `${what}: the API key was refused; check FEED_API_KEY (or the key in FEED_URL)`);
  }
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(retryAfter, now);
    const wait = retryAfterMs === undefined ? 'no Retry-After' : `Retry-After ${Math.round(retryAfterMs / 1000)} s`;
    return new FeedError('rate_limited', `${what} (${wait})`, { retryAfterMs });
  }
  return new FeedError('http_error', what);
}

/** What {@link classifyFetchFailure} needs to know about the request that failed. */
export interface FailedRequest {
  target: string;
  timeoutMs: number;
  /** Our own per-request deadline. */
  timeoutSignal: AbortSignal;
  /** The caller's signal, if any. */
  callerSignal?: AbortSignal;
}

/**
 * Names the cause of a rejected `fetch()` (or body read): our deadline → `timeout`,
 * the caller's abort → see {@link callerAbortError}, anything else → `network`
 * with the low-level code (ECONNREFUSED, ENOTFOUND…) in the message.
 */
export function classifyFetchFailure(error: unknown, request: FailedRequest): FeedError {
  if (error instanceof FeedError) return error;
  const { target, timeoutMs, timeoutSignal, callerSignal } = request;
  // Caller first: if both fired, the caller gave up before our deadline mattered.
  if (callerSignal?.aborted) return callerAbortError(callerSignal.reason, `GET ${target}`);
  if (timeoutSignal.aborted) {
    return new FeedError('timeout', `upstream did not answer within ${timeoutMs} ms (GET ${target})`, {
      cause: error,
    });
  }
  return new FeedError('network', `could not reach upstream (GET ${target}): ${describeNetworkError(error)}`, {
    cause: error,
  });
}

/** undici reports "fetch failed" and hides the useful part in `cause`; dig it out. */
function describeNetworkError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    const named = typeof code === 'string' && !current.message.includes(code);
    parts.push(named ? `${current.message} (${code})` : current.message);
    current = current.cause;
  }
  // undici names the URL it refused ("…includes credentials: http://user:password@…").
  return redactUrlsInText(parts.length > 0 ? parts.join(': ') : String(error));
}

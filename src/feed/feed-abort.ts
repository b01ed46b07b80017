import { FeedError } from './feed.js';

/**
 * The {@link FeedError} for a fetch the caller cancelled through its `AbortSignal`.
 * A `TimeoutError` reason (the caller's own deadline, e.g. `AbortSignal.timeout`) counts
 * as `timeout`; any other reason (shutdown, demand gone) is reported as `network`, the
 * call having ended without an answer — so callers always receive a FeedError.
 */
export function callerAbortError(reason: unknown, source: string): FeedError {
  const why = reason instanceof Error ? reason.message : String(reason);
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new FeedError('timeout', `${source}: caller's deadline expired (${why})`, { cause: reason });
  }
  return new FeedError('network', `${source}: request aborted by the caller (${why})`, { cause: reason });
}

import { describe, expect, it } from 'vitest';
import { callerAbortError } from './feed-abort.js';
import { FeedError } from './feed.js';

describe('callerAbortError', () => {
  it('a TimeoutError reason is the caller’s deadline: timeout, with the reason as cause', () => {
    const reason = new DOMException('The operation timed out.', 'TimeoutError');
    const error = callerAbortError(reason, 'GET http://feed/x');
    expect(error).toBeInstanceOf(FeedError);
    expect(error.failure).toBe('timeout');
    expect(error.message).toBe("GET http://feed/x: caller's deadline expired (The operation timed out.)");
    expect(error.cause).toBe(reason);
  });

  it('any other reason (an Error or not) is a network failure naming the reason', () => {
    expect(callerAbortError(new Error('shutdown'), 'SF').message).toBe('SF: request aborted by the caller (shutdown)');
    const plain = callerAbortError('demand gone', 'SF');
    expect(plain.failure).toBe('network');
    expect(plain.message).toBe('SF: request aborted by the caller (demand gone)');
    expect(plain.cause).toBe('demand gone');
  });
});

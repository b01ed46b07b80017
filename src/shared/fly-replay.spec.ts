import { describe, expect, it } from 'vitest';
import { flyReplayHeaders, flyReplayResponse } from './fly-replay.js';

describe('fly-replay answers', () => {
  it('the raw response is a complete 409 whose Content-Length is the body’s byte length', () => {
    const raw = flyReplayResponse('e784079b');
    const [head, body] = raw.split('\r\n\r\n');
    expect(head!.split('\r\n')).toEqual([
      'HTTP/1.1 409 Conflict',
      'fly-replay: instance=e784079b',
      'Content-Type: text/plain',
      'Content-Length: 37',
      'Connection: close',
    ]);
    expect(body).toBe('session belongs to instance e784079b\n');
    expect(Buffer.byteLength(body!)).toBe(37);
  });

  it('the headers name the same instance and are not cached', () => {
    expect(flyReplayHeaders('e784079b')).toEqual({
      'fly-replay': 'instance=e784079b',
      'Content-Type': 'text/plain',
      'Cache-Control': 'no-store',
    });
  });
});

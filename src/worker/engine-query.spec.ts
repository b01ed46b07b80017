import type { IncomingMessage } from 'node:http';
import { Server } from 'engine.io';
import { describe, expect, it } from 'vitest';
import { engineQuery } from './engine-query.js';

type Req = IncomingMessage & { _query?: Record<string, string> };
/** Engine.IO's own reading of a request's query: `Server.prepare` fills `req._query` unless it is there. */
const engineIo = new Server() as unknown as { prepare(req: Req): void };

function engineIoReads(url: string): Record<string, string> {
  const req = { url } as Req;
  engineIo.prepare(req);
  return req._query!;
}

describe('engineQuery', () => {
  it('reads a query exactly as Engine.IO does: the last of repeated names, empty values, percent-escapes, a fragment cut', () => {
    for (const url of [
      '/socket.io/?EIO=4&transport=polling',
      '/socket.io/?EIO=4&transport=polling&sid=abc',
      '/socket.io/?sid=first&sid=last',
      '/socket.io/?sid=&transport=websocket',
      '/socket.io/?sid=a%2Bb+c&t=%E2%9C%93',
      '/socket.io/?sid=x#frag&sid=y',
      '/socket.io/?__proto__=1&constructor=2',
      '/socket.io/',
      '/socket.io/?&&=&a',
    ]) {
      expect(engineQuery({ url }), url).toEqual(engineIoReads(url));
    }
    expect(engineQuery({ url: '/socket.io/?sid=first&sid=last' }).sid).toBe('last');
  });

  it('parses once per request and leaves the result where Engine.IO reuses it', () => {
    const req = { url: '/socket.io/?EIO=4&sid=abc' } as Req;
    const first = engineQuery(req);
    expect(engineQuery(req)).toBe(first);
    engineIo.prepare(req);
    expect(req._query).toBe(first);
  });
});

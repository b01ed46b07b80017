import { describe, expect, it } from 'vitest';
import { closingAnswer, parserRefusal } from './raw-refusals.js';

describe('parserRefusal', () => {
  it("keeps Node's status for its parser errors and names the error in the body", () => {
    expect(parserRefusal({ code: 'HPE_HEADER_OVERFLOW', reason: 'Header overflow' })).toEqual({ status: 431, body: 'HPE_HEADER_OVERFLOW: Header overflow\n' });
    expect(parserRefusal({ code: 'HPE_CHUNK_EXTENSIONS_OVERFLOW', reason: 'Chunk extensions overflow' }).status).toBe(413);
    expect(parserRefusal({ code: 'ERR_HTTP_REQUEST_TIMEOUT', message: 'Request timeout' }).status).toBe(408);
    expect(parserRefusal({ code: 'HPE_INVALID_HEADER_TOKEN', reason: 'Invalid header value char' })).toEqual({ status: 400, body: 'HPE_INVALID_HEADER_TOKEN: Invalid header value char\n' });
  });

  it('prints no control bytes and at most 200 characters of a reason', () => {
    const r = parserRefusal({ code: 'HPE_X', reason: `a\r\nb\x00${'c'.repeat(500)}` });
    expect(r.body).toBe(`HPE_X: ab${'c'.repeat(198)}\n`);
    expect(parserRefusal({})).toEqual({ status: 400, body: 'bad request\n' });
  });
});

describe('closingAnswer', () => {
  it('is a complete Connection: close response with its Content-Length', () => {
    expect(closingAnswer(405, 'no\n', 'Allow: GET\r\n')).toBe('HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nAllow: GET\r\nConnection: close\r\n\r\nno\n');
  });
});

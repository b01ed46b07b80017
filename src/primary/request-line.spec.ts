import { describe, expect, it } from 'vitest';
import { methodPrefixError, parseRequestHead } from './request-line.js';

const b = (s: string | number[]) => (typeof s === 'string' ? Buffer.from(s, 'latin1') : Buffer.from(s));

describe('request line', () => {
  it('waits for an incomplete line and parses a complete one', () => {
    expect(parseRequestHead(b('GET /socket.io/?EIO=4&transport=polling&sid=1.abc HT'))).toBeNull();
    expect(parseRequestHead(b('GET /socket.io/?EIO=4&transport=polling&sid=1.abc HTTP/1.1\r\n'))).toEqual({
      method: 'GET',
      path: '/socket.io/',
      sid: '1.abc',
      engine: true,
    });
  });

  it('refuses at the first byte what cannot be an HTTP method', () => {
    expect(methodPrefixError(b([0x16, 0x03]))).toBe('TLS on a plain-HTTP port');
    expect(methodPrefixError(b('\x00'))).toBe('not an HTTP/1.x request line');
    expect(methodPrefixError(b('get'))).toBe('not an HTTP/1.x request line');
    expect(methodPrefixError(b(' GET'))).toBe('not an HTTP/1.x request line');
    expect(() => parseRequestHead(b([0x16]))).toThrow(/TLS/);
  });

  it('lets a method prefix through until the space, and refuses an endless method', () => {
    expect(methodPrefixError(b('G'))).toBeNull();
    expect(methodPrefixError(b('OPTIONS'))).toBeNull();
    expect(methodPrefixError(b('POST /'))).toBeNull();
    expect(methodPrefixError(b('A'.repeat(17)))).toBe('not an HTTP/1.x request line');
  });

  it('refuses a line that is not HTTP/1.x, and one longer than 8 KiB', () => {
    expect(() => parseRequestHead(b('GET / HTTP/2\r\n'))).toThrow(/HTTP\/1/);
    expect(() => parseRequestHead(b(`GET /${'a'.repeat(9000)}`))).toThrow(/8 KiB/);
  });
});

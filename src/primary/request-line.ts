/** What the router needs to know of an HTTP request before handing its connection on. */
export interface RequestHead {
  method: string;
  path: string;
  /** Engine.IO session id from the query, if any. */
  sid: string | null;
  /** True for the Socket.IO endpoint. */
  engine: boolean;
}

/** Longest first line the router waits for before it gives up on a connection. */
export const MAX_REQUEST_LINE_BYTES = 8192;

/**
 * Parses the first line of an HTTP/1.x request ("GET /socket.io/?EIO=4&sid=… HTTP/1.1").
 * Returns null while the line is incomplete, and throws on a line that is not HTTP.
 */
export function parseRequestHead(buf: Uint8Array, enginePath = '/socket.io/'): RequestHead | null {
  const bad = methodPrefixError(buf);
  if (bad) throw new Error(bad);
  const text = Buffer.from(buf.buffer, buf.byteOffset, Math.min(buf.byteLength, MAX_REQUEST_LINE_BYTES)).toString('latin1');
  const end = text.indexOf('\r\n');
  if (end === -1) {
    if (buf.byteLength >= MAX_REQUEST_LINE_BYTES) throw new Error('request line longer than 8 KiB');
    return null;
  }
  const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(text.slice(0, end));
  if (!m) throw new Error('not an HTTP/1.x request line');
  const target = m[2]!;
  const q = target.indexOf('?');
  const path = q === -1 ? target : target.slice(0, q);
  const sid = q === -1 ? null : new URLSearchParams(target.slice(q + 1)).get('sid');
  return { method: m[1]!, path, sid, engine: path.startsWith(enginePath) };
}

/** Longest method token we wait for (`OPTIONS`, `CONNECT`: 7; WebDAV's longest is 16). */
const MAX_METHOD_BYTES = 16;

/**
 * Why the bytes so far cannot start an HTTP/1.x request line, or null while they still may:
 * a method is upper-case letters followed by a space. Lets the router refuse a TLS hello or
 * binary noise on its first byte instead of waiting for a line that never comes.
 */
export function methodPrefixError(buf: Uint8Array): string | null {
  const n = Math.min(buf.byteLength, MAX_METHOD_BYTES + 1);
  for (let i = 0; i < n; i++) {
    const c = buf[i]!;
    if (c === 0x20) return i === 0 ? 'not an HTTP/1.x request line' : null;
    if (c < 0x41 || c > 0x5a) return i === 0 && c === 0x16 ? 'TLS on a plain-HTTP port' : 'not an HTTP/1.x request line';
  }
  return buf.byteLength > MAX_METHOD_BYTES ? 'not an HTTP/1.x request line' : null;
}

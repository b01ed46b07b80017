import net from 'node:net';

/** How a request's pieces are written: all in one tick, one event-loop turn apart, or `n` ms apart. */
export type Gap = 'same-tick' | 'next-tick' | number;

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  ms: number;
}

/**
 * One HTTP/1.1 exchange over a raw TCP connection, its request written in `pieces` with
 * `gap` between them (split writes: what a real network and real clients do), answered
 * with the parsed response, or null when none arrived within `timeoutMs` (lost or hung).
 * `localAddress` picks the client address inside 127.0.0.0/8.
 */
export function rawExchange(
  port: number,
  pieces: (string | Buffer)[],
  opts: { gap?: Gap; timeoutMs?: number; localAddress?: string; socket?: net.Socket } = {},
): Promise<RawAnswer | null> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = opts.socket ?? net.connect({ host: '127.0.0.1', port, localAddress: opts.localAddress, noDelay: true });
    const parser = responseParser();
    const timer = setTimeout(() => finish(null), opts.timeoutMs ?? 3_000);
    const onData = (c: Buffer) => {
      const r = parser(c);
      if (r) finish({ ...r, ms: Date.now() - started });
    };
    const finish = (a: RawAnswer | null) => {
      clearTimeout(timer);
      socket.off('data', onData);
      if (!opts.socket) socket.destroy();
      resolve(a);
    };
    socket.on('data', onData);
    socket.on('error', () => finish(null));
    void writePieces(socket, pieces, opts.gap ?? 'same-tick');
  });
}

/** Writes `pieces` to `socket`, `gap` apart; stops once the socket is destroyed. */
export async function writePieces(socket: net.Socket, pieces: (string | Buffer)[], gap: Gap): Promise<void> {
  for (const [i, p] of pieces.entries()) {
    if (i > 0 && gap === 'next-tick') await new Promise((r) => setImmediate(r));
    if (i > 0 && typeof gap === 'number') await new Promise((r) => setTimeout(r, gap));
    if (socket.destroyed) return;
    socket.write(p);
  }
}

/** Feeds bytes; returns the response once complete (Content-Length or chunked). */
export function responseParser(): (chunk: Buffer) => Omit<RawAnswer, 'ms'> | null {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    const end = buf.indexOf('\r\n\r\n');
    if (end === -1) return null;
    const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(lines[0]!.split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    const rest = buf.subarray(end + 4);
    if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      if (rest.byteLength < n) return null;
      const body = rest.subarray(0, n).toString('utf8');
      buf = rest.subarray(n);
      return { status, headers, body };
    }
    if (headers['transfer-encoding'] === 'chunked') {
      const text = rest.toString('latin1');
      if (!text.includes('0\r\n\r\n')) return null;
      let body = '';
      let at = 0;
      for (;;) {
        const nl = text.indexOf('\r\n', at);
        const size = parseInt(text.slice(at, nl), 16);
        if (size === 0) break;
        body += text.slice(nl + 2, nl + 2 + size);
        at = nl + 2 + size + 2;
      }
      buf = Buffer.alloc(0);
      return { status, headers, body: Buffer.from(body, 'latin1').toString('utf8') };
    }
    return { status, headers, body: rest.toString('utf8') };
  };
}

/** Runs `n` tasks with at most `width` in flight. */
export async function inParallel<T>(n: number, width: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, n) }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await task(i);
      }
    }),
  );
  return out;
}

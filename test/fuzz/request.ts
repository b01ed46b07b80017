import net from 'node:net';
import { responseParser, writePieces, type Gap, type RawAnswer } from '../support/raw-http.js';
import { nextAddress } from './addresses.js';

/** An answer, or how the exchange ended without one: the server closed the connection, or said nothing in time. */
export type Outcome = RawAnswer | 'closed' | 'timeout';

/**
 * One exchange on a fresh connection to the public port from the next address of the pool:
 * `pieces` are written as given (`gap` apart), and the outcome tells a silent close from a
 * hang (test/support's rawExchange reports both as null).
 */
export function exchange(port: number, pieces: (string | Buffer)[], opts: { gap?: Gap; timeoutMs?: number } = {}): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: nextAddress(), noDelay: true });
    const parse = responseParser();
    let done = false;
    const finish = (o: Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => finish('timeout'), opts.timeoutMs ?? 3_000);
    socket.on('data', (c: Buffer) => {
      const r = parse(c);
      if (r) finish({ ...r, ms: Date.now() - started });
    });
    socket.on('error', () => finish('closed'));
    socket.on('close', () => finish('closed'));
    void writePieces(socket, pieces, opts.gap ?? 'same-tick');
  });
}

/** One HTTP/1.1 request, written byte for byte (no client-side URL normalisation: the server sees exactly the generated query). */
export function request(
  port: number,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number } = {},
): Promise<Outcome> {
  const body = typeof opts.body === 'string' ? Buffer.from(opts.body, 'utf8') : opts.body;
  const headers: Record<string, string> = { Host: `127.0.0.1:${port}`, Connection: 'close', ...opts.headers };
  if (body) headers['Content-Length'] = String(body.byteLength);
  const head = `${method} ${path} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return exchange(port, [body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : head], { timeoutMs: opts.timeoutMs });
}

/** The answer, or null for a close or a timeout. */
export const answered = (o: Outcome): RawAnswer | null => (typeof o === 'string' ? null : o);

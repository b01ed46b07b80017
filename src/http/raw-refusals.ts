import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';

/** How long a refused connection may keep sending (its bytes are dropped) before it is cut. */
export const REFUSAL_LINGER_MS = 2_000;

/** Node's statuses for its parser's errors (`_http_server.js`); anything else is 400. */
const STATUS_OF: Readonly<Record<string, number>> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

/** A request Node's parser refused: the status Node would send, and a body that says why. */
export function parserRefusal(err: { code?: string; reason?: string; message?: string }): { status: number; body: string } {
  const status = STATUS_OF[err.code ?? ''] ?? 400;
  const why = (err.reason ?? err.message ?? '').replace(/[^\x20-\x7e]/g, '').slice(0, 200);
  return { status, body: `${err.code ?? 'bad request'}${why ? `: ${why}` : ''}\n` };
}

/** The bytes of a final `Connection: close` answer. */
export function closingAnswer(status: number, body: string, extra = ''): string {
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Connection: close\r\n\r\n${body}`;
}

/**
 * Answers what Node's HTTP server refuses before any route runs, where Node itself would
 * answer less (the fuzz suite's findings):
 * - a request its parser rejects gets Node's status with the parser's reason in the body, and
 *   the connection is half-closed and drained instead of destroyed at once: a client still
 *   sending (a split write, an 80 KiB header, a bad chunk after a 404) got a reset that could
 *   lose the answer;
 * - `CONNECT` gets 405 (this is no proxy), where Node closes without a word.
 */
export function answerRawRefusals(server: Server): void {
  server.on('clientError', (err: Error & { code?: string; reason?: string }, socket: Duplex) => {
    socket.on('error', () => undefined);
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    // After an answer (a 404 sent before the body's bad chunk arrived) only the close is left to do.
    const answeredAlready = ((socket as Duplex & { bytesWritten?: number }).bytesWritten ?? 0) > 0;
    const { status, body } = parserRefusal(err);
    endAndDrain(socket, answeredAlready ? '' : closingAnswer(status, body));
  });
  server.on('connect', (_req: unknown, socket: Duplex) => {
    socket.on('error', () => undefined);
    endAndDrain(socket, closingAnswer(405, 'CONNECT is not served here: this is not an HTTP proxy\n', 'Allow: GET, POST\r\n'));
  });
}

/** Answers a connection Node handed over raw (an upgrade no route serves) with `status` and closes it gracefully. */
export function refuseRawSocket(socket: Duplex, status: number, body: string): void {
  socket.on('error', () => undefined);
  if (!socket.writable) return void socket.destroy();
  endAndDrain(socket, closingAnswer(status, body));
}

function endAndDrain(socket: Duplex, answer: string): void {
  // The parser is done with this socket: drop what the client still sends, so closing it
  // sends a FIN after the answer, not a reset that can discard the answer on the way.
  socket.removeAllListeners('data');
  socket.on('data', () => undefined);
  socket.end(answer);
  setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
}

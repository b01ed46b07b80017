import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { SessionUnknownCauseLabel } from '../metrics/metric-names.js';

/** Response header naming why a sid was unknown, so proxies and load generators can tell causes apart. */
export const SESSION_CAUSE_HEADER = 'x-transit-session';

/** Engine.IO's own body for error code 1 (`Server.errorMessages`), byte for byte. */
const POLLING_BODY = JSON.stringify({ code: 1, message: 'Session ID unknown' });

/** Tags a response that Engine.IO is about to answer `400 Session ID unknown`. */
export function tagSessionUnknown(res: ServerResponse, cause: SessionUnknownCauseLabel): void {
  res.setHeader(SESSION_CAUSE_HEADER, cause);
}

/** Answers a long-polling request exactly as Engine.IO does for an unknown sid. */
export function answerSessionUnknown(res: ServerResponse, cause: SessionUnknownCauseLabel): void {
  res.writeHead(400, { 'Content-Type': 'application/json', [SESSION_CAUSE_HEADER]: cause, 'Cache-Control': 'no-store' });
  res.end(POLLING_BODY);
}

/** Answers a websocket upgrade exactly as Engine.IO's `abortUpgrade` does for an unknown sid. */
export function abortUpgradeSessionUnknown(socket: Duplex, cause: SessionUnknownCauseLabel): void {
  const message = 'Session ID unknown';
  socket.on('error', () => undefined);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-type: text/html\r\n${SESSION_CAUSE_HEADER}: ${cause}\r\n` +
        `Content-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
    );
  }
  socket.destroy();
}

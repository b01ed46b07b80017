import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Answers a long-polling request whose session can no longer be served (its worker was
 * recycled or died) the way Engine.IO itself ends a session: a GET receives the close
 * packet ("1"), which makes the client drop the session and reconnect at once; a POST is
 * acknowledged ("ok") because its payload belongs to the closed session. Neither is a 400:
 * the client did nothing wrong.
 */
export function answerLostSession(req: IncomingMessage, res: ServerResponse): void {
  const body = req.method === 'GET' ? '1' : 'ok';
  req.resume();
  res.writeHead(200, {
    'Content-Type': 'text/plain; charset=UTF-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

import http, { type IncomingMessage, type ServerResponse } from 'node:http';

/** Header a worker adds to a request it forwards, so the owner never forwards it again. */
export const FORWARDED_HEADER = 'x-transit-forwarded-by';

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade'];

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

/**
 * Relays one HTTP request to the worker that owns its session, over loopback. Used only
 * when a keep-alive connection (a browser's, or a reverse proxy's pooled one) carries a
 * request for a session of another worker; the primary routes every new connection right.
 * Calls `onFailure` (before anything was sent) if the owner cannot be reached.
 */
export function forwardRequest(
  req: IncomingMessage,
  res: ServerResponse,
  target: { port: number; fromWorker: number },
  onFailure: () => void,
): void {
  const headers: http.OutgoingHttpHeaders = { ...req.headers, [FORWARDED_HEADER]: String(target.fromWorker) };
  for (const h of HOP_BY_HOP) delete headers[h];
  if (req.headers['transfer-encoding']) headers['transfer-encoding'] = req.headers['transfer-encoding'];
  const out = http.request(
    { host: '127.0.0.1', port: target.port, method: req.method, path: req.url, headers, agent },
    (answer) => {
      const copy = { ...answer.headers };
      for (const h of HOP_BY_HOP) delete copy[h];
      res.writeHead(answer.statusCode ?? 502, copy);
      answer.pipe(res);
    },
  );
  out.on('error', () => {
    if (!res.headersSent) onFailure();
    else res.destroy();
  });
  // The client gave up (closed the page): stop the relayed long-poll too.
  res.on('close', () => {
    if (!res.writableFinished) out.destroy();
  });
  req.pipe(out);
}

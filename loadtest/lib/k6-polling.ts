/**
 * Drives a LoadClient over HTTP long-polling with k6's synchronous k6/http, like a browser on
 * polling only: handshake GET, POST "40{auth}", then GET long-polls; pongs and emits are POSTed
 * right after each poll returns. On the client's deadline it closes cleanly (POST "41", POST "1").
 */
import { sleep } from 'k6';
import http from 'k6/http';
import type { EioSession, HttpRequest } from './engineio.ts';
import type { LoadClient, Next } from './k6-client.ts';

function exchange(client: LoadClient, session: EioSession, req: HttpRequest): Next {
  const params = {
    headers: req.headers,
    timeout: `${session.pollTimeoutMs()}ms`,
    // URLs carry sid and a cache-buster: name them, or every request is its own time series.
    tags: { name: `eio ${req.kind}`, transport: 'polling' },
    responseType: 'text' as const,
  };
  const res = req.method === 'GET' ? http.get(req.url, params) : http.post(req.url, req.body ?? '', params);
  // Headers too: a 400 "Session ID unknown" names its cause in x-transit-session.
  const out = session.handleHttpResponse(req, res.status, res.body, Date.now(), res.headers);
  if (res.status === 0 && out.closed && out.closed.detail === undefined) out.closed.detail = res.error;
  return client.handle(out);
}

/** POSTs everything the session queued (one POST per flush, as engine.io-client does). */
function flushAll(client: LoadClient, session: EioSession): Next {
  for (let req = session.flushRequest(); req; req = session.flushRequest()) {
    const next = exchange(client, session, req);
    if (next !== 'continue') return next;
  }
  return 'continue';
}

/** Runs one client until its deadline, reconnecting after lost sessions. Blocks the VU. */
export function runPollingClient(client: LoadClient): void {
  for (;;) {
    const session = client.newSession();
    let next = exchange(client, session, session.handshakeRequest());
    while (next === 'continue') {
      next = flushAll(client, session);
      if (next !== 'continue') break;
      if (client.timeLeftMs() <= 0) {
        session.close();
        next = flushAll(client, session);
        break;
      }
      next = exchange(client, session, session.pollRequest());
    }
    if (next !== 'reconnect') return;
    sleep(client.reconnectDelayMs() / 1000);
  }
}

import http from 'node:http';
import net, { type AddressInfo } from 'node:net';

/** Status counts of `/socket.io/` long-polling responses that passed through the proxy. */
export interface PollingCounts {
  total: number;
  byStatus: Map<number, number>;
  /** Request and body of each 400 answer (Engine.IO says why). */
  badBodies: string[];
  /** 400 answers by the service's `x-transit-session` cause (`untagged` when it named none). */
  by400Cause: Map<string, number>;
}

export interface CountingProxy {
  url: string;
  counts: PollingCounts;
  /** Upstream TCP connections the proxy opened so far. */
  upstreamConnections: () => number;
  close: () => Promise<void>;
}

/**
 * A reverse proxy on 127.0.0.1 that counts every long-polling response by status, with no
 * help from the service (the "independent" count). Like Fly's edge or nginx with upstream
 * keepalive, it pools keep-alive connections to the app, so requests of many clients share
 * a few connections — the case where connection-level stickiness alone is not enough.
 * With `keepAlive: false` every request opens its own connection instead, so each one is
 * routed by the primary.
 */
export async function startCountingProxy(targetPort: number, opts: { pool?: number; keepAlive?: boolean } = {}): Promise<CountingProxy> {
  const counts: PollingCounts = { total: 0, byStatus: new Map(), badBodies: [], by400Cause: new Map() };
  let upstreamConnections = 0;
  const agent = new http.Agent({ keepAlive: opts.keepAlive ?? true, maxSockets: opts.pool ?? 8 });
  const origCreate = agent.createConnection.bind(agent);
  agent.createConnection = ((...args: Parameters<typeof origCreate>) => {
    upstreamConnections += 1;
    return origCreate(...args);
  }) as typeof agent.createConnection;

  const server = http.createServer((req, res) => {
    const polling = req.url?.startsWith('/socket.io/') && req.url.includes('transport=polling');
    const headers = { ...req.headers };
    delete headers.connection;
    const out = http.request({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers, agent }, (answer) => {
      if (polling) count(answer, `${req.method} ${req.url}`);
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502).end(`proxy: ${e.message}`);
      else res.destroy();
    });
    req.pipe(out);
  });
  server.on('upgrade', (req, socket, head) => {
    const up = net.connect(targetPort, '127.0.0.1', () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`, ...Object.entries(req.headers).map(([k, v]) => `${k}: ${String(v)}`)];
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });

  function count(answer: http.IncomingMessage, what: string): void {
    const status = answer.statusCode ?? 0;
    counts.total += 1;
    counts.byStatus.set(status, (counts.byStatus.get(status) ?? 0) + 1);
    if (status === 400) {
      const cause = String(answer.headers['x-transit-session'] ?? 'untagged');
      counts.by400Cause.set(cause, (counts.by400Cause.get(cause) ?? 0) + 1);
      let body = '';
      answer.on('data', (c: Buffer) => (body += c.toString()));
      answer.on('end', () => counts.badBodies.push(`${what} -> ${body}`));
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    upstreamConnections: () => upstreamConnections,
    close: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Count of one status, 0 if never seen. */
export function statusCount(counts: PollingCounts, status: number): number {
  return counts.byStatus.get(status) ?? 0;
}

/**
 * 400 answers that are a defect: `misrouted` (the seed's bug), `unknown` (an id never
 * issued here) and untagged ones. `ended` (a session this deployment closed: the protocol's
 * answer after a recycle, a kill or a client's close) is not among them.
 */
export function defect400s(counts: PollingCounts): number {
  let n = 0;
  for (const [cause, k] of counts.by400Cause) if (cause !== 'ended') n += k;
  return n;
}

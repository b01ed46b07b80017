/**
 * The independent count: a reverse proxy on 127.0.0.1 between the clients and the service
 * (or HAProxy) that classifies every Engine.IO long-polling response itself, without help
 * from the service. Like an edge proxy it pools keep-alive connections to its target, so
 * requests of many clients share connections (the case where connection stickiness alone is
 * not enough). Websocket upgrades are tunnelled and counted by the answer's status.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { classifyPollingResponse, type PollingClassification } from '../../loadtest/lib/engineio-classify.ts';

export interface Bucket {
  polls: number;
  byStatus: Record<string, number>;
  byClass: Partial<Record<PollingClassification, number>>;
}

export interface ProxyCounts {
  polls: number;
  byStatus: Record<string, number>;
  byClass: Partial<Record<PollingClassification, number>>;
  /** First 400/403/5xx answers: request and body. */
  badSamples: string[];
  wsUpgrades: number;
  wsByStatus: Record<string, number>;
}

export interface CountingProxy {
  url: string;
  counts: ProxyCounts;
  /** Polling responses per second since `t0`, index = second. */
  buckets: Bucket[];
  upstreamConnections: () => number;
  /** Requests retried after meeting a pooled connection the service had closed. */
  retries: () => number;
  close: () => Promise<void>;
}

const inc = <K extends string>(o: Partial<Record<K, number>>, k: K, by = 1) => (o[k] = (o[k] ?? 0) + by);

export async function startCountingProxy(target: { host: string; port: number }, t0: number): Promise<CountingProxy> {
  const counts: ProxyCounts = { polls: 0, byStatus: {}, byClass: {}, badSamples: [], wsUpgrades: 0, wsByStatus: {} };
  const buckets: Bucket[] = [];
  let upstreamConnections = 0;
  let retries = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256 });
  const origCreate = agent.createConnection.bind(agent);
  agent.createConnection = ((...args: Parameters<typeof origCreate>) => {
    upstreamConnections += 1;
    return origCreate(...args);
  }) as typeof agent.createConnection;
  const sockets = new Set<net.Socket>();

  const record = (status: number, body: string, what: string) => {
    const cls = classifyPollingResponse(status, body);
    counts.polls += 1;
    inc(counts.byStatus, String(status));
    inc(counts.byClass, cls);
    const sec = Math.max(0, Math.floor((Date.now() - t0) / 1000));
    while (buckets.length <= sec) buckets.push({ polls: 0, byStatus: {}, byClass: {} });
    const b = buckets[sec]!;
    b.polls += 1;
    inc(b.byStatus, String(status));
    inc(b.byClass, cls);
    if ((status >= 400 || status === 0) && counts.badSamples.length < 20) counts.badSamples.push(`${what} -> ${status} ${body.slice(0, 200)}`);
  };

  // Like an edge proxy with upstream keep-alive: a request that meets a pooled connection the
  // service closed meanwhile (reset before any answer) is retried once on a new connection.
  const forward = (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse, polling: boolean, what: string, retried: boolean) => {
    const headers = { ...req.headers };
    delete headers.connection;
    const out = http.request({ host: target.host, port: target.port, method: req.method, path: req.url, headers, agent }, (answer) => {
      const status = answer.statusCode ?? 502;
      res.writeHead(status, answer.headers);
      if (!polling || status === 200) {
        if (polling) record(200, '', what);
        answer.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => {
        chunks.push(c);
        res.write(c);
      });
      answer.on('end', () => {
        record(status, Buffer.concat(chunks).toString('utf8'), what);
        res.end();
      });
      answer.on('error', () => res.destroy());
    });
    const sentAt = Date.now();
    out.on('error', (e: NodeJS.ErrnoException) => {
      // Only the keep-alive race (the reset comes back at once), not a request cut mid-flight.
      const stale = out.reusedSocket && !retried && Date.now() - sentAt < 100 && (e.code === 'ECONNRESET' || e.code === 'EPIPE' || e.message === 'socket hang up');
      if (stale && !res.headersSent) {
        retries += 1;
        forward(req, body, res, polling, what, true);
        return;
      }
      if (polling) record(502, `proxy: ${e.message}`, what);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`proxy: ${e.message}`);
      else res.destroy();
    });
    out.end(body);
  };

  const server = http.createServer((req, res) => {
    const polling = req.url?.startsWith('/socket.io/') === true && req.url.includes('transport=polling');
    const what = `${req.method} ${req.url?.replace(/sid=[^&]+/, 'sid=…')}`;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => forward(req, Buffer.concat(chunks), res, polling, what, false));
  });

  server.on('upgrade', (req, socket, head) => {
    counts.wsUpgrades += 1;
    const up = net.connect(target.port, target.host, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`, ...headerLines(req.rawHeaders)];
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      up.write(head);
      let first = true;
      up.on('data', (chunk: Buffer) => {
        if (first) {
          first = false;
          const m = /^HTTP\/1\.\d (\d{3})/.exec(chunk.subarray(0, 32).toString('latin1'));
          inc(counts.wsByStatus, m ? m[1]! : 'unknown');
        }
      });
      up.pipe(socket);
      socket.pipe(up);
    });
    sockets.add(up);
    up.on('close', () => {
      sockets.delete(up);
      socket.destroy();
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
    socket.on('close', () => up.destroy());
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    buckets,
    upstreamConnections: () => upstreamConnections,
    retries: () => retries,
    close: async () => {
      agent.destroy();
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function headerLines(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push(`${raw[i]}: ${raw[i + 1]}`);
  return out;
}

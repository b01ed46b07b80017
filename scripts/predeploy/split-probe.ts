/**
 * The split-write probe: requests whose bytes arrive in more than one TCP segment, sent
 * straight to the service's public port (not through the counting proxy). The primary reads
 * each new connection's request line and hands the socket to a worker; the bytes that arrive
 * after the first segment must still reach that worker. Each request must get a complete
 * HTTP response (any status: a 404 is an answer) within `timeoutMs`.
 *
 * Kinds, `perKind` concurrent connections each, one kind after the other (bounded: at most
 * `perKind` sockets open at once and about 3 × `timeoutMs` in all):
 * - `get-immediate`: `GET /healthz HTTP/1.1\r\nHost: x\r\n`, the rest of the headers one
 *   event-loop turn later (setImmediate);
 * - `get-1ms`: the same with a 1 ms gap;
 * - `post-body`: `POST /api/vehicles` with its headers, then its 7-byte body one turn later.
 * Loopback only.
 */
import net from 'node:net';

export type SplitKind = 'get-immediate' | 'get-1ms' | 'post-body';
export const SPLIT_KINDS: readonly SplitKind[] = ['get-immediate', 'get-1ms', 'post-body'];

export interface SplitKindResult {
  sent: number;
  answered: number;
  lost: number;
  byStatus: Record<string, number>;
}

export interface SplitProbeResult {
  timeoutMs: number;
  total: number;
  answered: number;
  /** No complete response within `timeoutMs`, or the connection closed (or failed) without one. */
  lost: number;
  byKind: Record<SplitKind, SplitKindResult>;
  /** What happened to lost requests: kind and why, each different one once (at most 10). */
  samples: string[];
  durationMs: number;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** The two writes of one probe request, and how long to wait between them. */
export function splitRequest(kind: SplitKind, i: number): { first: string; second: string; gap: 'immediate' | number } {
  const ua = `User-Agent: predeploy-split-probe/${kind}/${i}\r\n`;
  if (kind === 'post-body') {
    return {
      first: `POST /api/vehicles HTTP/1.1\r\nHost: x\r\n${ua}Content-Type: application/json\r\nContent-Length: 7\r\nConnection: close\r\n\r\n`,
      second: '{"a":1}',
      gap: 'immediate',
    };
  }
  return { first: 'GET /healthz HTTP/1.1\r\nHost: x\r\n', second: `${ua}Accept: */*\r\nConnection: close\r\n\r\n`, gap: kind === 'get-1ms' ? 1 : 'immediate' };
}

/**
 * Whether `buf` holds one complete HTTP/1.x response (after any 1xx): by Content-Length, by
 * chunked encoding, or — with neither — only once the server has closed (`eof`).
 */
export function completeResponse(buf: Buffer, eof: boolean): { complete: boolean; status: number | null } {
  let offset = 0;
  for (;;) {
    const end = buf.indexOf('\r\n\r\n', offset, 'latin1');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(buf.subarray(offset, Math.min(buf.length, offset + 32)).toString('latin1'));
    const status = m ? Number(m[1]) : null;
    if (end === -1 || status === null) return { complete: false, status };
    const head = buf.subarray(offset, end).toString('latin1').toLowerCase();
    const bodyAt = end + 4;
    if (status >= 100 && status < 200 && status !== 101) {
      offset = bodyAt;
      continue;
    }
    if (status === 204 || status === 304 || status === 101) return { complete: true, status };
    const cl = /\r\ncontent-length:\s*(\d+)/.exec(head);
    if (/\r\ntransfer-encoding:[^\r]*chunked/.test(head)) return { complete: chunkedDone(buf, bodyAt), status };
    if (cl) return { complete: buf.length - bodyAt >= Number(cl[1]), status };
    return { complete: eof, status };
  }
}

function chunkedDone(buf: Buffer, at: number): boolean {
  let i = at;
  for (;;) {
    const eol = buf.indexOf('\r\n', i, 'latin1');
    if (eol === -1) return false;
    const size = parseInt(buf.subarray(i, eol).toString('latin1').split(';')[0]!.trim(), 16);
    if (!Number.isFinite(size)) return false;
    // The last chunk, then optional trailers and an empty line: "0\r\n\r\n" at the least.
    if (size === 0) return buf.indexOf('\r\n\r\n', eol, 'latin1') !== -1;
    i = eol + 2 + size + 2;
    if (i > buf.length) return false;
  }
}

function probeOne(host: string, port: number, kind: SplitKind, i: number, timeoutMs: number): Promise<{ ok: boolean; status: number | null; why: string }> {
  return new Promise((resolve) => {
    const { first, second, gap } = splitRequest(kind, i);
    let buf = Buffer.alloc(0);
    let done = false;
    const sock = net.connect({ host, port });
    const finish = (ok: boolean, why: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ ok, status: completeResponse(buf, true).status, why });
    };
    const timer = setTimeout(() => finish(false, `no complete response within ${timeoutMs} ms (${buf.length} bytes received)`), timeoutMs);
    sock.setNoDelay(true); // each write its own segment
    sock.on('connect', () => {
      sock.write(first);
      const rest = () => {
        if (!done && sock.writable) sock.write(second);
      };
      if (gap === 'immediate') setImmediate(rest);
      else setTimeout(rest, gap);
    });
    sock.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (completeResponse(buf, false).complete) finish(true, '');
    });
    sock.on('end', () => {
      const r = completeResponse(buf, true);
      finish(r.complete, r.complete ? '' : `connection closed after ${buf.length} bytes without a complete response`);
    });
    sock.on('error', (e: NodeJS.ErrnoException) => finish(completeResponse(buf, true).complete, `${e.code ?? e.message} after ${buf.length} bytes`));
    sock.on('close', () => finish(completeResponse(buf, true).complete, `connection closed after ${buf.length} bytes without a complete response`));
  });
}

export async function runSplitProbe(opts: { host?: string; port: number; perKind?: number; timeoutMs?: number; kinds?: readonly SplitKind[] }): Promise<SplitProbeResult> {
  const host = opts.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) throw new Error(`split-write probe: loopback only, not ${host}`);
  const perKind = Math.max(1, Math.min(1_000, opts.perKind ?? 100));
  const timeoutMs = opts.timeoutMs ?? 3_000;
  const started = Date.now();
  const byKind = {} as Record<SplitKind, SplitKindResult>;
  for (const k of SPLIT_KINDS) byKind[k] = { sent: 0, answered: 0, lost: 0, byStatus: {} };
  const samples: string[] = [];
  for (const kind of opts.kinds ?? SPLIT_KINDS) {
    const results = await Promise.all(Array.from({ length: perKind }, (_, i) => probeOne(host, opts.port, kind, i, timeoutMs)));
    const r = byKind[kind];
    for (const x of results) {
      r.sent += 1;
      if (x.ok) {
        r.answered += 1;
        const s = String(x.status);
        r.byStatus[s] = (r.byStatus[s] ?? 0) + 1;
      } else {
        r.lost += 1;
        const line = `${kind}: ${x.why}`;
        if (samples.length < 10 && !samples.includes(line)) samples.push(line);
      }
    }
  }
  const all = Object.values(byKind);
  return {
    timeoutMs,
    total: all.reduce((n, k) => n + k.sent, 0),
    answered: all.reduce((n, k) => n + k.answered, 0),
    lost: all.reduce((n, k) => n + k.lost, 0),
    byKind,
    samples,
    durationMs: Date.now() - started,
  };
}

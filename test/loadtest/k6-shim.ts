/**
 * Just enough of k6's modules to run loadtest/lib's k6 drivers under vitest:
 * - k6/http: SYNCHRONOUS get/post like k6 (a worker thread fetches; this thread Atomics.waits),
 *   with k6's canonical header names (X-Transit-Session);
 * - k6/metrics: metrics that record every sample; k6: check/sleep; k6/timers: Node timers;
 * - k6/websockets: k6's WebSocket API over Node's global WebSocket.
 * Use with vi.mock('k6/…', async () => (await import('./k6-shim.ts')).<module>).
 */
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';

export interface Sample { value: number; tags: Record<string, string> }
export const samples = new Map<string, Sample[]>();
export const checks: { name: string; ok: boolean }[] = [];
export function resetShim(): void {
  samples.clear();
  checks.length = 0;
}
export function values(name: string): number[] {
  return (samples.get(name) ?? []).map((s) => s.value);
}

class Metric {
  readonly name: string;
  constructor(name: string) { this.name = name; }
  add(value: number | boolean, tags: Record<string, string> = {}): void {
    const list = samples.get(this.name) ?? [];
    list.push({ value: Number(value), tags });
    samples.set(this.name, list);
  }
}
export const metrics = { Counter: Metric, Rate: Metric, Trend: Metric, Gauge: Metric };

const sleeper = new Int32Array(new SharedArrayBuffer(4));
export const k6 = {
  check<T>(val: T, sets: Record<string, (v: T) => boolean>): boolean {
    let all = true;
    for (const [name, fn] of Object.entries(sets)) {
      const ok = fn(val);
      checks.push({ name, ok });
      all &&= ok;
    }
    return all;
  },
  sleep(seconds: number): void { Atomics.wait(sleeper, 0, 0, seconds * 1000); },
};

const WORKER = `
const { workerData } = require('node:worker_threads');
const { port, flag } = workerData;
port.on('message', async (req) => {
  let res;
  try {
    const r = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body, signal: AbortSignal.timeout(req.timeoutMs) });
    // k6 gives headers with canonical names (Go's CanonicalHeaderKey): X-Transit-Session.
    const headers = {};
    r.headers.forEach((v, k) => { headers[k.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('-')] = v; });
    res = { status: r.status, body: await r.text(), headers, error: '' };
  } catch (err) {
    res = { status: 0, body: null, headers: {}, error: String(err && err.message || err) };
  }
  port.postMessage(res);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});`;

let sync: { port: MessageChannel['port1']; flag: Int32Array; worker: Worker } | undefined;
function syncFetch(method: string, url: string, body: string | undefined, params: { headers?: Record<string, string>; timeout?: string | number } = {}) {
  if (!sync) {
    const { port1, port2 } = new MessageChannel();
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(WORKER, { eval: true, workerData: { port: port2, flag }, transferList: [port2] });
    worker.unref();
    sync = { port: port1, flag, worker };
  }
  const t = params.timeout;
  const timeoutMs = typeof t === 'number' ? t : t?.endsWith('ms') ? Number(t.slice(0, -2)) : t?.endsWith('s') ? Number(t.slice(0, -1)) * 1000 : 60_000;
  Atomics.store(sync.flag, 0, 0);
  sync.port.postMessage({ method, url, body, headers: params.headers ?? {}, timeoutMs });
  Atomics.wait(sync.flag, 0, 0, timeoutMs + 5_000);
  const msg = receiveMessageOnPort(sync.port);
  if (!msg) throw new Error(`k6 shim: no response for ${method} ${url}`);
  return msg.message as { status: number; body: string | null; headers: Record<string, string>; error: string };
}
export function stopSyncHttp(): Promise<number> | undefined {
  const s = sync;
  sync = undefined;
  return s?.worker.terminate();
}
export const http = {
  get: (url: string, params?: { headers?: Record<string, string>; timeout?: string | number }) => syncFetch('GET', url, undefined, params),
  post: (url: string, body: string, params?: { headers?: Record<string, string>; timeout?: string | number }) => syncFetch('POST', url, body, params),
};
export const httpModule = { default: http, ...http };

export const timers = { setTimeout, clearTimeout, setInterval, clearInterval };

class K6WebSocket {
  onmessage: (ev?: { data: unknown }) => void = () => {};
  onerror: (ev?: { error: string }) => void = () => {};
  onclose: () => void = () => {};
  onopen: () => void = () => {};
  private readonly ws: WebSocket;
  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.onmessage = (ev) => this.onmessage({ data: ev.data });
    this.ws.onerror = () => this.onerror({ error: 'websocket error' });
    this.ws.onclose = () => this.onclose();
    this.ws.onopen = () => this.onopen();
  }
  get readyState(): number { return this.ws.readyState; }
  send(data: string): void { this.ws.send(data); }
  close(): void { this.ws.close(); }
}
export const websockets = { WebSocket: K6WebSocket };

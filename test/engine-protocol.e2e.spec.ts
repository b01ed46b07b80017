import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from './support/clients.js';
import { recordFigure } from './support/figures.js';
import { startTopology, type Topology } from './support/topology.js';

/**
 * How sessions end, as the Engine.IO v4 reference server (engine.io 6.6, socket.io 4.8)
 * answers, against the production command with 2 workers: after a session is closed —
 * by the client's close packet, a ping timeout, two overlapping polls, an aborted poll, an
 * invalid packet, a missing CONNECT — the next request gets
 * `400 {"code":1,"message":"Session ID unknown"}`, tagged `ended` by this service.
 */
describe('Engine.IO v4 session ends', () => {
  let app: Topology;
  const UNKNOWN = { code: 1, message: 'Session ID unknown' };
  beforeAll(async () => {
    app = await startTopology({ WEB_CONCURRENCY: '2', PING_INTERVAL_MS: '1000', PING_TIMEOUT_MS: '1000', CONNECT_TIMEOUT_MS: '1500' });
  });
  afterAll(async () => {
    await app?.stop();
  });

  const url = (sid?: string) => `${app.base}/socket.io/?EIO=4&transport=polling${sid ? `&sid=${sid}` : ''}`;
  async function open(connect = true): Promise<string> {
    const hs = await (await fetch(url())).text();
    const sid = JSON.parse(hs.slice(1)).sid as string;
    if (connect) {
      expect(await (await fetch(url(sid), { method: 'POST', body: '40' })).text()).toBe('ok');
      expect(await (await fetch(url(sid))).text()).toMatch(/^40\{"sid"/);
    }
    return sid;
  }
  /** The next request's answer, within 2 s (a hang fails the test). */
  async function next(sid: string): Promise<{ status: number; cause: string | null; body: unknown }> {
    const res = await fetch(url(sid), { signal: AbortSignal.timeout(2_000) });
    const text = await res.text();
    return { status: res.status, cause: res.headers.get('x-transit-session'), body: res.status === 400 ? JSON.parse(text) : text };
  }

  it("the client's close packet ends the session: next request 400", async () => {
    const sid = await open();
    expect(await (await fetch(url(sid), { method: 'POST', body: '1' })).text()).toBe('ok');
    expect(await next(sid)).toEqual({ status: 400, cause: 'ended', body: UNKNOWN });
  });

  it('a ping timeout ends the session: next request 400', async () => {
    const sid = await open();
    // Never answer the server's ping: it closes after pingInterval + pingTimeout.
    await sleep(2_600);
    expect(await next(sid)).toEqual({ status: 400, cause: 'ended', body: UNKNOWN });
  });

  it('two overlapping GET polls close the session: the second 400, the first the close packet, the next 400', async () => {
    const sid = await open();
    const first = fetch(url(sid)).then(async (r) => ({ status: r.status, body: await r.text() }));
    await sleep(100);
    const second = await fetch(url(sid));
    expect(second.status).toBe(400);
    expect(await first).toEqual({ status: 200, body: '1' });
    expect(await next(sid)).toMatchObject({ status: 400, body: UNKNOWN });
  });

  it('a poll the client aborts closes the session: next request 400', async () => {
    const sid = await open();
    const ac = new AbortController();
    const pending = fetch(url(sid), { signal: ac.signal }).catch(() => 'aborted');
    await sleep(100);
    ac.abort();
    expect(await pending).toBe('aborted');
    await sleep(100);
    expect(await next(sid)).toEqual({ status: 400, cause: 'ended', body: UNKNOWN });
  });

  it('an invalid packet in a POST closes the session: next request 400', async () => {
    const sid = await open();
    const res = await fetch(url(sid), { method: 'POST', body: 'Zgarbage' });
    expect(res.status).toBeLessThan(500);
    await res.text();
    expect(await next(sid)).toEqual({ status: 400, cause: 'ended', body: UNKNOWN });
  });

  it('a transport that opened but never sent CONNECT is closed after CONNECT_TIMEOUT_MS, not 95 s', async () => {
    const started = Date.now();
    const sid = await open(false);
    // Answer every ping (so no ping timeout interferes) until the close packet arrives.
    let body = '';
    while (!body.includes('1') && Date.now() - started < 5_000) {
      body = await (await fetch(url(sid), { signal: AbortSignal.timeout(5_000) })).text();
      if (body === '2') await (await fetch(url(sid), { method: 'POST', body: '3' })).text();
    }
    const closedAfterMs = Date.now() - started;
    expect(body).toBe('1');
    recordFigure('engine: connect timeout', { closedAfterMs });
    expect(closedAfterMs).toBeGreaterThanOrEqual(1_400);
    expect(closedAfterMs).toBeLessThan(4_000);
    expect(await next(sid)).toEqual({ status: 400, cause: 'ended', body: UNKNOWN });
  });

  it("handshakes from another site's pages are refused (403), same-origin and Origin-less ones proceed", async () => {
    const evil = await fetch(url(), { headers: { origin: 'https://evil.example' } });
    expect(evil.status).toBe(403);
    expect(await evil.json()).toEqual({ code: 4, message: 'Forbidden' });
    const same = await fetch(url(), { headers: { origin: app.base } });
    expect(same.status).toBe(200);
    await same.text();
  });

  it('every ended 400 was counted as ended, none as misrouted', async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`)).text();
    const count = (cause: string) => Number(new RegExp(`transit_session_unknown_total\\{cause="${cause}",transport="polling"\\} (\\d+)`).exec(metrics)?.[1] ?? NaN);
    recordFigure('engine: 400 causes', { ended: count('ended'), misrouted: count('misrouted'), unknown: count('unknown') });
    expect(count('ended')).toBeGreaterThanOrEqual(6);
    expect(count('misrouted')).toBe(0);
  });
});

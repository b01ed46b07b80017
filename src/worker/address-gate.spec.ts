import type { IncomingMessage, ServerResponse } from 'node:http';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AddressGate, AddressLimits, limitedRoute } from './address-gate.js';

const ENGINE = '/socket.io/';

describe('limitedRoute', () => {
  it('counts handshakes (no sid, as Engine.IO reads it) and /api/vehicles as Express routes it', () => {
    expect(limitedRoute({ method: 'GET', url: '/socket.io/?EIO=4&transport=polling' }, ENGINE)).toBe('handshake');
    expect(limitedRoute({ method: 'GET', url: '/socket.io/?EIO=4&transport=websocket' }, ENGINE)).toBe('handshake');
    expect(limitedRoute({ method: 'GET', url: '/socket.io/?EIO=4&transport=polling&sid=abc' }, ENGINE)).toBeNull();
    // Engine.IO takes the last of repeated parameters, and an empty sid is a handshake.
    expect(limitedRoute({ method: 'GET', url: '/socket.io/?EIO=4&transport=polling&sid=' }, ENGINE)).toBe('handshake');
    expect(limitedRoute({ method: 'GET', url: '/socket.io/?sid=abc&sid=' }, ENGINE)).toBe('handshake');
    expect(limitedRoute({ method: 'GET', url: '/api/vehicles?routes=N' }, ENGINE)).toBe('api_vehicles');
    expect(limitedRoute({ method: 'GET', url: '/API/Vehicles/' }, ENGINE)).toBe('api_vehicles');
    expect(limitedRoute({ method: 'HEAD', url: '/api/vehicles' }, ENGINE)).toBe('api_vehicles');
    expect(limitedRoute({ method: 'GET', url: '/api/config' }, ENGINE)).toBeNull();
    expect(limitedRoute({ method: 'GET', url: '/healthz' }, ENGINE)).toBeNull();
    expect(limitedRoute({ method: 'GET', url: undefined }, ENGINE)).toBeNull();
  });
});

/** A request from `peer` (optionally naming a client in Fly-Client-IP). */
const req = (url: string, peer: string, headers: Record<string, string> = {}) =>
  ({ method: 'GET', url, headers, socket: { remoteAddress: peer }, resume: () => undefined }) as unknown as IncomingMessage;

/** A response that records what was written. */
function recorder() {
  const out = { status: 0, headers: {} as Record<string, unknown>, body: '' };
  const res = {
    writeHead: (status: number, headers: Record<string, unknown>) => {
      out.status = status;
      out.headers = headers;
      return res;
    },
    end: (body: string) => void (out.body = body),
  };
  return { out, res: res as unknown as ServerResponse };
}

describe('AddressGate', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  const gate = (trustProxy: boolean, limited: string[] = []) =>
    new AddressGate({
      limits: new AddressLimits({ handshake: new RateLimiterMemory({ points: 3, duration: 60 }) }, trustProxy),
      perMinute: { handshake: 3, api_vehicles: 0 },
      enginePath: ENGINE,
      headers: () => ({ 'X-Content-Type-Options': 'nosniff' }),
      limited: (route, key) => limited.push(`${route} ${key}`),
    });

  it('lets 3 handshakes a minute through per address, answers the 4th 429 with Retry-After, and another address goes on', async () => {
    const limited: string[] = [];
    const g = gate(false, limited);
    const hs = '/socket.io/?EIO=4&transport=polling';
    for (let i = 0; i < 3; i++) expect(await g.request(req(hs, '10.0.0.1'), recorder().res)).toBe(true);
    vi.advanceTimersByTime(15_000);
    const r = recorder();
    expect(await g.request(req(hs, '10.0.0.1'), r.res)).toBe(false);
    expect(r.out.status).toBe(429);
    expect(r.out.headers).toMatchObject({ 'Retry-After': '45', 'X-Content-Type-Options': 'nosniff' });
    expect(JSON.parse(r.out.body)).toEqual({ statusCode: 429, error: 'Too Many Requests', message: 'too many Socket.IO handshakes from your address: at most 3 a minute; retry in 45 s' });
    expect(limited).toEqual(['handshake 10.0.0.1']);
    expect(await g.request(req(hs, '10.0.0.2'), recorder().res)).toBe(true);
    // Polls of existing sessions and routes without a limiter are not gated at all.
    expect(g.request(req('/socket.io/?EIO=4&transport=polling&sid=x', '10.0.0.1'), recorder().res)).toBeNull();
    expect(g.request(req('/api/vehicles', '10.0.0.1'), recorder().res)).toBeNull();
    vi.advanceTimersByTime(45_000);
    expect(await g.request(req(hs, '10.0.0.1'), recorder().res)).toBe(true);
  });

  it('keys on Fly-Client-IP only behind a trusted proxy, and IPv6 clients by /64', async () => {
    const hs = '/socket.io/?EIO=4&transport=websocket';
    const proxied = gate(true);
    for (let i = 0; i < 3; i++) expect(await proxied.request(req(hs, '172.16.0.9', { 'fly-client-ip': `2001:db8:1:2::${i}` }), recorder().res)).toBe(true);
    expect(await proxied.request(req(hs, '172.16.0.9', { 'fly-client-ip': '2001:db8:1:2:ffff::1' }), recorder().res)).toBe(false);
    expect(await proxied.request(req(hs, '172.16.0.9', { 'fly-client-ip': '198.51.100.1' }), recorder().res)).toBe(true);
    // Without TRUST_PROXY a client cannot dodge its limit by naming other addresses.
    const direct = gate(false);
    for (let i = 0; i < 3; i++) expect(await direct.request(req(hs, '10.9.9.9', { 'fly-client-ip': `198.51.100.${i}` }), recorder().res)).toBe(true);
    expect(await direct.request(req(hs, '10.9.9.9', { 'fly-client-ip': '198.51.100.77' }), recorder().res)).toBe(false);
  });

  it('lets requests through when the limiter fails (the primary did not answer)', async () => {
    const failing = { consume: () => Promise.reject(new Error('RateLimiterCluster timeout')) };
    const limits = new AddressLimits({ handshake: failing as never }, false);
    expect(await limits.check('handshake', '10.0.0.1')).toEqual({ allowed: true });
  });
});

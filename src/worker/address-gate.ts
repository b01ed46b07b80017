import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { RateLimiterCluster, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../config/config.js';
import { addressKey, clientAddress } from '../http/client-address.js';
import type { SecurityHeaders } from '../http/security-headers.js';
import type { RefusalLog } from '../logging/refusal-log.js';
import type { RateLimitedRouteLabel } from '../metrics/metric-names.js';
import type { WorkerMetrics } from '../metrics/worker-metrics.js';
import { engineQuery } from './engine-query.js';

/** Length of one counting window of the per-address limits (the settings are per minute). */
export const ADDRESS_WINDOW_S = 60;
/** How long a worker waits for the primary's count before it lets the request through. */
export const LIMITER_TIMEOUT_MS = 1_000;

/** A request let through, or refused with the seconds after which the address may try again. */
export type Verdict = { allowed: true } | { allowed: false; retryAfterS: number };

/**
 * Which per-address limit a request counts against, or null. A handshake is an Engine.IO request
 * without a `sid` (a polling GET, or a websocket upgrade of a websocket-only client); polls and
 * upgrades of existing sessions are not. `/api/vehicles` matches as Express routes it (any case,
 * optional trailing slash).
 */
export function limitedRoute(req: Pick<IncomingMessage, 'method' | 'url'>, enginePath: string): RateLimitedRouteLabel | null {
  const url = req.url;
  if (!url) return null;
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  // The sid as Engine.IO reads it (the last of repeated parameters; an empty one means a handshake).
  if (path.startsWith(enginePath)) return engineQuery(req).sid ? null : 'handshake';
  if ((req.method === 'GET' || req.method === 'HEAD') && /^\/api\/vehicles\/?$/i.test(path)) return 'api_vehicles';
  return null;
}

/**
 * Per-address limits of one worker: each limited route has a rate-limiter-flexible limiter,
 * keyed by the client address (IPv6 by /64). A limiter that fails (the primary did not
 * answer in time) lets the request through: a limit must not become an outage.
 */
export class AddressLimits {
  constructor(
    private readonly limiters: Partial<Record<RateLimitedRouteLabel, RateLimiterAbstract>>,
    private readonly trustProxy: boolean,
    /** Whether the limiters can answer now (the cluster limiter needs the IPC channel to the primary). */
    private readonly available: () => boolean = () => true,
  ) {}

  /** The route and address key `req` counts against, or null when no limit applies to it. */
  subject(req: IncomingMessage, enginePath: string): { route: RateLimitedRouteLabel; key: string } | null {
    const route = limitedRoute(req, enginePath);
    if (!route || !this.limiters[route]) return null;
    return { route, key: addressKey(clientAddress(req.headers, req.socket.remoteAddress, this.trustProxy)) };
  }

  /** Counts one request of `key` against `route`'s limit. Never rejects. */
  async check(route: RateLimitedRouteLabel, key: string): Promise<Verdict> {
    if (!this.available()) return { allowed: true };
    try {
      await this.limiters[route]!.consume(key);
      return { allowed: true };
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) return { allowed: true };
      return { allowed: false, retryAfterS: Math.max(1, Math.ceil(error.msBeforeNext / 1000)) };
    }
  }
}

/**
 * A worker's limiters: counted in the primary (rate-limiter-flexible's cluster limiter keeps a
 * memory store there), so an address has one count however the router spreads it over workers.
 * The primary must have created a `RateLimiterClusterMaster` before it forked the workers.
 */
export function clusterLimits(perMinute: Record<RateLimitedRouteLabel, number>, trustProxy: boolean): AddressLimits {
  const limiters: Partial<Record<RateLimitedRouteLabel, RateLimiterAbstract>> = {};
  for (const [route, points] of Object.entries(perMinute) as [RateLimitedRouteLabel, number][]) {
    if (points > 0) limiters[route] = new RateLimiterCluster({ keyPrefix: `transit_${route}`, points, duration: ADDRESS_WINDOW_S, timeoutMs: LIMITER_TIMEOUT_MS });
  }
  // A worker whose primary is gone exits soon; sending to it meanwhile would throw.
  return new AddressLimits(limiters, trustProxy, () => process.connected === true);
}

const WHAT: Record<RateLimitedRouteLabel, string> = { handshake: 'Socket.IO handshakes', api_vehicles: '/api/vehicles requests' };

/** The body of a 429: what was limited, the limit, and when to come back (Nest's error shape). */
export function rateLimitedBody(route: RateLimitedRouteLabel, perMinute: number, retryAfterS: number): string {
  const message = `too many ${WHAT[route]} from your address: at most ${perMinute} a minute; retry in ${retryAfterS} s`;
  return JSON.stringify({ statusCode: 429, error: 'Too Many Requests', message });
}

/** Answers a refused request `429` with `Retry-After` (and `headers`, the security headers). */
export function answerRateLimited(req: IncomingMessage, res: ServerResponse, body: string, retryAfterS: number, headers: OutgoingHttpHeaders): void {
  req.resume();
  res.writeHead(429, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Retry-After': String(retryAfterS), 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Answers a refused websocket upgrade the same way, on the raw socket, and closes it. */
export function abortUpgradeRateLimited(socket: Duplex, body: string, retryAfterS: number): void {
  socket.end(
    `HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json; charset=utf-8\r\nRetry-After: ${retryAfterS}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  setTimeout(() => socket.destroy(), 2_000).unref();
}

export interface GateOptions {
  limits: AddressLimits;
  /** The limits in force, for the 429's message. */
  perMinute: Record<RateLimitedRouteLabel, number>;
  enginePath: string;
  /** Security headers for the 429 (Express does not write it). */
  headers: (req: IncomingMessage) => OutgoingHttpHeaders;
  /** One request refused: count it, log it (sampled). */
  limited: (route: RateLimitedRouteLabel, key: string) => void;
}

/**
 * The per-address limits at the session guard, which sees every request and upgrade of the
 * worker before Engine.IO and Express do. Each method returns null when no limit applies (go
 * on at once), else a promise of whether to go on; a refused request has been answered 429.
 */
export class AddressGate {
  constructor(private readonly o: GateOptions) {}

  request(req: IncomingMessage, res: ServerResponse): Promise<boolean> | null {
    return this.gate(req, (body, s) => answerRateLimited(req, res, body, s, this.o.headers(req)));
  }

  upgrade(req: IncomingMessage, socket: Duplex): Promise<boolean> | null {
    return this.gate(req, (body, s) => abortUpgradeRateLimited(socket, body, s));
  }

  private gate(req: IncomingMessage, refuse: (body: string, retryAfterS: number) => void): Promise<boolean> | null {
    const subject = this.o.limits.subject(req, this.o.enginePath);
    if (!subject) return null;
    const { route, key } = subject;
    return this.o.limits.check(route, key).then((v) => {
      if (v.allowed) return true;
      this.o.limited(route, key);
      refuse(rateLimitedBody(route, this.o.perMinute[route], v.retryAfterS), v.retryAfterS);
      return false;
    });
  }
}

/** A worker's gate from the config (undefined when both limits are off), counted in the metrics and logged sampled. */
export function workerGate(
  config: Pick<Config, 'HANDSHAKES_PER_MINUTE_PER_IP' | 'API_REQUESTS_PER_MINUTE_PER_IP' | 'TRUST_PROXY'>,
  enginePath: string,
  deps: { security: SecurityHeaders; metrics: WorkerMetrics; refusals: RefusalLog },
): AddressGate | undefined {
  const perMinute = { handshake: config.HANDSHAKES_PER_MINUTE_PER_IP, api_vehicles: config.API_REQUESTS_PER_MINUTE_PER_IP };
  if (perMinute.handshake === 0 && perMinute.api_vehicles === 0) return undefined;
  const setting = { handshake: 'HANDSHAKES_PER_MINUTE_PER_IP', api_vehicles: 'API_REQUESTS_PER_MINUTE_PER_IP' } as const;
  return new AddressGate({
    limits: clusterLimits(perMinute, config.TRUST_PROXY),
    perMinute,
    enginePath,
    headers: (req) => deps.security.forApiResponse(req),
    limited: (route, key) => {
      deps.metrics.rateLimited.inc({ route });
      deps.refusals.refused(
        `rate_limited_${route}`,
        { route, address: key },
        `${WHAT[route]} over ${setting[route]}=${perMinute[route]} a minute from one address answered 429; real clients behind one NAT: raise it; every client the same proxy address: set TRUST_PROXY=true`,
      );
    },
  });
}

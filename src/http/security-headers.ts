import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { strictTransportSecurity } from 'helmet';
import type { Config } from '../config/config.js';
import { viaTls } from './client-address.js';

/**
 * The page's Content-Security-Policy: scripts, styles and connections only from this
 * origin (no inline code anywhere), images from here and from the tile server.
 */
export function cspDirectives(tileUrl: string): Record<string, string[]> {
  const tiles = tileOrigin(tileUrl);
  return {
    'default-src': ["'self'"],
    'script-src': ["'self'"],
    'style-src': ["'self'"],
    'img-src': ["'self'", 'data:', ...(tiles ? [tiles] : [])],
    'connect-src': ["'self'"],
    'font-src': ["'self'"],
    'object-src': ["'none'"],
    'base-uri': ["'none'"],
    'frame-ancestors': ["'none'"],
    'form-action': ["'none'"],
  };
}

/** `https://{s}.tile.example.org/{z}/{x}/{y}.png` → `https://*.tile.example.org`. */
export function tileOrigin(tileUrl: string): string | null {
  if (!tileUrl) return null;
  const m = /^(https?):\/\/([^/]+)/.exec(tileUrl);
  if (!m) return null;
  return `${m[1]}://${m[2]!.replace(/\{s\}/g, '*')}`;
}

/** helmet has no Permissions-Policy; the map needs none of these. */
const PERMISSIONS_POLICY = 'geolocation=(), camera=(), microphone=()';

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * The CSP of a response that is never rendered as a page: it may not be framed (OWASP's REST
 * Security Cheat Sheet: drag-and-drop clickjacking); nothing else in a policy applies to it.
 */
const API_CSP = "frame-ancestors 'none'";

/** Of helmet's headers, those that protect a response that is not a document. */
const API_KEEPS = ['X-Content-Type-Options', 'X-Frame-Options', 'Cross-Origin-Resource-Policy'] as const;

/** Every response's security headers, as Express middleware and as a record for the responses Express does not write. */
export interface SecurityHeaders {
  /** helmet's headers (and Permissions-Policy) on every response Express writes (the page among them); HSTS on those that came over TLS. */
  middleware: Middleware;
  /**
   * The headers of a response that is never a document: Engine.IO's (a poll, a handshake, an
   * upgrade) and the session guard's and address gate's own answers. OWASP's set for API
   * responses: `nosniff`, no framing (`X-Frame-Options` and a CSP of `frame-ancestors` only),
   * `Cross-Origin-Resource-Policy` (no cross-origin reads of the data), and HSTS over TLS
   * (Engine.IO adds `cache-control: no-store` itself). The page-only headers (the page's CSP,
   * COOP, Referrer-Policy, Permissions-Policy, …) do nothing on such a response and were
   * ~900 bytes of every poll, written and parsed on both ends.
   */
  forApiResponse(req: IncomingMessage): Readonly<Record<string, string>>;
}

/**
 * helmet, configured: the CSP above and nothing from helmet's default policy;
 * `Referrer-Policy: strict-origin-when-cross-origin`, because OpenStreetMap's tile servers refuse
 * requests without a Referer (this sends only the origin cross-site, never the path or query);
 * `X-Frame-Options: DENY` to match `frame-ancestors 'none'`. HSTS only on responses to requests
 * that a trusted proxy (TRUST_PROXY) says came over TLS: on plain HTTP it would mean nothing,
 * and a client must not be able to ask for it.
 */
export function securityHeaders(config: Pick<Config, 'TILE_URL' | 'TRUST_PROXY'>): SecurityHeaders {
  const base = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: cspDirectives(config.TILE_URL) },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    xFrameOptions: { action: 'deny' },
    strictTransportSecurity: false,
  }) as unknown as Middleware;
  const hsts = strictTransportSecurity() as unknown as Middleware;
  const page = recorded(base);
  const api = Object.freeze({ 'Content-Security-Policy': API_CSP, ...Object.fromEntries(API_KEEPS.map((k) => [k, page[k]!])) });
  const apiTls = Object.freeze({ ...api, ...recorded(hsts) });
  return {
    middleware: (req, res, next) => {
      res.setHeader('Permissions-Policy', PERMISSIONS_POLICY);
      base(req, res, (err) => (err || !viaTls(req.headers, config.TRUST_PROXY) ? next(err) : hsts(req, res, next)));
    },
    forApiResponse: (req) => (viaTls(req.headers, config.TRUST_PROXY) ? apiTls : api),
  };
}

/** The headers a helmet middleware sets (none of ours read the request). */
function recorded(middleware: Middleware): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (k: string, v: string) => void (headers[k] = String(v)),
    removeHeader: (k: string) => void delete headers[k],
  };
  middleware({ headers: {} } as IncomingMessage, res as unknown as ServerResponse, () => undefined);
  return headers;
}

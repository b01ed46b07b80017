import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';

/** Header in which Fly's proxy names the client it forwards for (it overwrites any the client sent). */
export const FLY_CLIENT_IP = 'fly-client-ip';

/**
 * The address a request came from. Behind a trusted proxy (`TRUST_PROXY`, Fly's) the peer is
 * always the proxy, so the client is its `Fly-Client-IP` header; anywhere else that header is
 * the client's own word and is ignored, and the address is the peer's.
 */
export function clientAddress(headers: IncomingHttpHeaders, peer: string | undefined, trustProxy: boolean): string {
  if (trustProxy) {
    const named = headers[FLY_CLIENT_IP];
    if (typeof named === 'string' && isIP(named.trim()) !== 0) return unmapped(named.trim());
  }
  return peer ? unmapped(peer) : 'unknown';
}

/** Whether the browser reached us over TLS: only a trusted proxy can say so (`X-Forwarded-Proto`). */
export function viaTls(headers: IncomingHttpHeaders, trustProxy: boolean): boolean {
  if (!trustProxy) return false;
  const proto = headers['x-forwarded-proto'];
  const first = (Array.isArray(proto) ? proto[0] : proto)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https';
}

/**
 * The key a client address is limited by: an IPv4 address as it is, an IPv6 address by its
 * /64 (the prefix one subscriber gets; the other 64 bits are theirs to rotate for free).
 */
export function addressKey(address: string): string {
  if (isIP(address) !== 6) return address;
  return `${ipv6Groups(address).slice(0, 4).join(':')}::/64`;
}

/** `::ffff:10.0.0.1` (an IPv4 client on a dual-stack socket) → `10.0.0.1`. */
function unmapped(address: string): string {
  const m = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return m ? m[1]! : address;
}

/** The eight 16-bit groups of a valid IPv6 address, in lower-case hex without leading zeros. */
function ipv6Groups(address: string): string[] {
  const bare = address.split('%')[0]!;
  const [head, tail] = bare.includes('::') ? bare.split('::') : [bare, undefined];
  const split = (s: string | undefined) => (s ? s.split(':') : []);
  // A dotted IPv4 tail (`64:ff9b::1.2.3.4`) fills two groups.
  const width = (gs: string[]) => gs.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0);
  const h = split(head);
  const t = split(tail);
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - width(h) - width(t)).fill('0'), ...t];
  return groups.map((g) => (g.includes('.') ? g : parseInt(g, 16).toString(16)));
}

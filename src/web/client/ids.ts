/** Per-page-load client id for the Socket.IO handshake. DOM-free. */

interface CryptoLike {
  randomUUID?: () => string;
  getRandomValues<T extends Uint8Array>(array: T): T;
}

/**
 * `crypto.randomUUID()` where available; it only exists in secure contexts (https, localhost),
 * so plain-http deployments get an equivalent RFC 4122 v4 id from `getRandomValues`.
 */
export function newClientId(c: CryptoLike = globalThis.crypto as CryptoLike): string {
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

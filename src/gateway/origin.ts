/**
 * Whether a Socket.IO handshake (polling or websocket) may proceed, by its `Origin` header:
 * same origin (the Origin's host is the request's Host), one of `allowed` (CORS_ORIGINS), or
 * any with `*`. A request without Origin is not from a browser page (native clients, k6,
 * socket.io-client in Node) and proceeds: the check stops other sites from opening sessions
 * from their visitors' browsers, which always send Origin on websocket and cross-origin XHR.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  if (allowed.includes('*') || allowed.includes(origin)) return true;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

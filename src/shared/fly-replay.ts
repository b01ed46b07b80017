/**
 * The answer for a request whose session lives on another instance (machine) of the
 * deployment. On Fly.io the edge proxy sees `fly-replay: instance=<machine id>` and replays
 * the request on that machine, so the session keeps working; the 409 is only what a client
 * sees where no proxy honours the header (then put a sticky load balancer in front).
 */
export function flyReplayResponse(instance: string): string {
  const body = `session belongs to instance ${instance}\n`;
  return (
    `HTTP/1.1 409 Conflict\r\nfly-replay: instance=${instance}\r\nContent-Type: text/plain\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

/** The same answer as headers, for a worker's HTTP response. */
export function flyReplayHeaders(instance: string): Record<string, string> {
  return { 'fly-replay': `instance=${instance}`, 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' };
}

/**
 * Client addresses for the fuzz: Linux routes all of 127.0.0.0/8 to loopback, so each
 * connection can come from its own address. Spread over 250 of them, ~10,000 inputs stay far
 * below the production per-address limits (HANDSHAKES_PER_MINUTE_PER_IP and
 * API_REQUESTS_PER_MINUTE_PER_IP), which therefore stay on: the fuzz tests the service as
 * deployed, and one address is not refused for what 250 clients did.
 */
const POOL = 250;
let turn = 0;

/** The next address of the pool, round-robin. */
export function nextAddress(): string {
  turn = (turn + 1) % POOL;
  return `127.88.0.${turn + 1}`;
}

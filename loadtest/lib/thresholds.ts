/**
 * Pass/fail criteria shared by every k6 script (each spreads them into `options.thresholds`).
 * k6-free so vitest can read them. Metric definitions: k6-metrics.ts.
 */

export type Thresholds = { [metric: string]: string[] };

export const sharedThresholds: Thresholds = {
  // Share of polling requests answered a 400 that is a failure: "Session ID unknown" for a
  // misrouted or never-issued sid, or without an x-transit-session header (older server), and
  // any other 400. Ended sessions (x-transit-session: ended) are counted in polling_ended_400s.
  polling_unexpected_400_rate: ['rate<0.05'],
  // Any misrouted answer is the multi-worker routing bug (the SessionMisrouted alert's twin).
  'polling_errors{cause:misrouted}': ['count==0'],
  // Handshake + namespace CONNECT attempts that reached a connected socket.
  connect_success: ['rate>0.99'],
  // receive time − delta.generatedAt (ms); assumes k6 and the server share a clock.
  update_latency: ['p(95)<1000'],
};

/** mixed-routes.ts: subscriptions are acknowledged, and then no vehicle of another route arrives. */
export const routeFilterThresholds: Thresholds = {
  foreign_route_updates: ['count==0'],
  // Without it a server that never acks would pass foreign_route_updates vacuously.
  subscribe_confirmed: ['rate>0.99'],
};

/**
 * Pass/fail criteria shared by every k6 script (each spreads them into `options.thresholds`).
 * k6-free so vitest can read them. Metric definitions: k6-metrics.ts.
 */

export type Thresholds = { [metric: string]: string[] };

export const sharedThresholds: Thresholds = {
  // Share of polling requests answered 400 (the hunted one: code 1 "Session ID unknown").
  polling_400_rate: ['rate<0.05'],
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

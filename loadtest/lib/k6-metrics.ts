/**
 * Custom k6 metrics shared by every script. Created at module load = k6 init context.
 * Thresholds on them live in thresholds.ts.
 */
import { Counter, Rate, Trend } from 'k6/metrics';

/**
 * true for each polling request (handshake/poll/post) answered a 400 that is a failure: every 400
 * except "Session ID unknown" with `x-transit-session: ended` (misrouted, unknown, no header from an
 * older server, other codes). false for every other answer, ended ones included.
 */
export const pollingUnexpected400Rate = new Rate('polling_unexpected_400_rate');
/**
 * Polling requests answered 400 "Session ID unknown" for a session the server had ended
 * (`x-transit-session: ended`: ping timeout, client close, recycled worker). The protocol's
 * answer, expected around recycles: reported, no threshold.
 */
export const pollingEnded400s = new Counter('polling_ended_400s');
/**
 * Polling requests whose class is not ok/closed (ended sessions left out), tagged `class`
 * (session_unknown, …) and, for session_unknown, `cause` (misrouted, unknown, or none: no header).
 */
export const pollingErrors = new Counter('polling_errors');
/** Each connect attempt: true when the namespace connected, false when the session died before. */
export const connectSuccess = new Rate('connect_success');
/** Sessions that had opened and ended without the client closing them, tagged `reason`/`class` (and `cause`). */
export const sessionLost = new Counter('session_lost');
/** Successful connects with auth.connects > 0 (what the server counts as reconnects). */
export const reconnects = new Counter('reconnects');
/** receive time − delta.generatedAt, ms (vehicles:delta only). */
export const updateLatency = new Trend('update_latency', true);
/** Vehicles of unsubscribed routes received after the subscribe ack (0 samples included). */
export const foreignRouteUpdates = new Counter('foreign_route_updates');
/** Per connected session with routes: true if the subscribe ack said ok before it ended. */
export const subscribeConfirmed = new Rate('subscribe_confirmed');
/** Deltas whose fromVersion is not the last version seen. */
export const deltaVersionGaps = new Counter('delta_version_gaps');
/** Snapshots/deltas that do not match the documented shape. */
export const invalidEvents = new Counter('invalid_events');
/** Socket.IO events received, tagged `event`. */
export const eventsReceived = new Counter('events_received');

/**
 * One simulated browser tab for k6, independent of the transport: creates successive EioSessions
 * (reconnecting after a lost session with auth.connects = earlier connections), subscribes when
 * routes are given, judges events with TransitTracker and records every k6 metric. The drivers
 * (k6-polling.ts, k6-websocket.ts) only move bytes and call handle() with each SessionOutput.
 */
import { check } from 'k6';
import { EioSession, isEndedSessionAnswer, type SessionOutput, type TransportName } from './engineio.ts';
import * as m from './k6-metrics.ts';
import { SUBSCRIBE_EVENT, subscribeRequest, TransitTracker } from './transit.ts';

export interface LoadClientConfig {
  baseUrl: string;
  transport: TransportName;
  clientId: string;
  /** How long this client lives; then it closes cleanly. */
  durationMs: number;
  /** Subscribe to these routes after each connect and count foreign vehicles. */
  routes?: string[];
  /** With `routes`: the agency to subscribe to (FEED=511 with several agencies); vehicles of others count as foreign. */
  agency?: string;
  /** Base reconnect delay, randomized ×[1, 1.5) like socket.io-client. @default 1000 */
  reconnectDelayMs?: number;
}

/** What the driver does next. */
export type Next = 'continue' | 'reconnect' | 'stop';

export class LoadClient {
  readonly cfg: LoadClientConfig;
  readonly deadline: number;
  readonly tracker = new TransitTracker();
  /** Successful connects so far (sent as auth.connects). */
  connects = 0;
  session: EioSession | undefined;

  constructor(cfg: LoadClientConfig) {
    this.cfg = cfg;
    this.deadline = Date.now() + cfg.durationMs;
  }

  timeLeftMs(now = Date.now()): number {
    return this.deadline - now;
  }

  reconnectDelayMs(): number {
    return (this.cfg.reconnectDelayMs ?? 1000) * (1 + Math.random() * 0.5);
  }

  newSession(): EioSession {
    this.tracker.reset();
    this.session = new EioSession({
      baseUrl: this.cfg.baseUrl,
      transport: this.cfg.transport,
      auth: { clientId: this.cfg.clientId, connects: this.connects },
    });
    return this.session;
  }

  /** Records the metrics of one session output and says what to do next. */
  handle(out: SessionOutput, now = Date.now()): Next {
    const session = this.session;
    const tags = { transport: this.cfg.transport };
    if (out.status !== undefined) {
      // A 400 for a session the server ended is the protocol's answer (the client reconnects):
      // counted on its own, never against the thresholds. No header (older server) is a failure.
      const ended = isEndedSessionAnswer(out);
      if (ended) m.pollingEnded400s.add(1, tags);
      m.pollingUnexpected400Rate.add(out.status === 400 && !ended, tags);
      if (out.classification !== 'ok' && out.classification !== 'closed' && !ended) {
        const errorTags: Record<string, string> = { ...tags, class: out.classification };
        if (out.classification === 'session_unknown') errorTags.cause = out.sessionCause ?? 'none';
        m.pollingErrors.add(1, errorTags);
      }
    }
    if (out.connected && session) this.onConnected(session);
    if (out.connectError) check(out.connectError, { 'namespace CONNECT accepted': () => false });
    for (const msg of out.received) this.observe(msg, now);
    const closed = out.closed;
    if (!closed) return 'continue';
    if (!closed.wasConnected && closed.reason !== 'client close') m.connectSuccess.add(false, tags);
    if (closed.wasConnected && this.cfg.routes && this.cfg.routes.length > 0) {
      m.subscribeConfirmed.add(this.tracker.subscribedRoutes !== undefined, tags);
    }
    if (closed.lost) {
      const lostTags: Record<string, string> = { ...tags, reason: closed.reason, class: closed.classification ?? 'none' };
      if (closed.sessionCause) lostTags.cause = closed.sessionCause;
      m.sessionLost.add(1, lostTags);
    }
    if (closed.reason === 'client close') return 'stop';
    return this.timeLeftMs(now) > 0 ? 'reconnect' : 'stop';
  }

  private onConnected(session: EioSession): void {
    const tags = { transport: this.cfg.transport };
    m.connectSuccess.add(true, tags);
    if (this.connects > 0) m.reconnects.add(1, tags);
    this.connects++;
    const routes = this.cfg.routes;
    if (routes && routes.length > 0) {
      const id = session.emit(SUBSCRIBE_EVENT, [subscribeRequest(routes, this.cfg.agency)], true);
      if (id !== undefined) this.tracker.expectSubscribeAck(id, routes);
    }
  }

  private observe(msg: Parameters<TransitTracker['observe']>[0], now: number): void {
    const tags = { transport: this.cfg.transport };
    if (msg.kind === 'event') m.eventsReceived.add(1, { ...tags, event: msg.name });
    const obs = this.tracker.observe(msg, now);
    switch (obs.kind) {
      case 'delta':
        if (obs.latencyMs !== undefined) m.updateLatency.add(Math.max(0, obs.latencyMs), tags);
        if (obs.versionGap) m.deltaVersionGaps.add(1, tags);
        break;
      case 'invalid':
        m.invalidEvents.add(1, tags);
        break;
      case 'subscribed':
      case 'subscribe_error':
        check(obs, { 'subscribe acknowledged ok': (o) => o.kind === 'subscribed' });
        break;
      default:
    }
    if ((obs.kind === 'snapshot' || obs.kind === 'delta') && this.tracker.subscribedRoutes) {
      m.foreignRouteUpdates.add(obs.foreign, tags);
    }
  }
}

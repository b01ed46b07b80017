import { collectDefaultMetrics, register, type Counter, type Histogram, type Registry } from 'prom-client';
import { counter, gauge, histogram, zero } from './catalogue.js';
import * as M from './metric-names.js';

/**
 * The metrics a worker owns (sessions, polling responses, engine errors, fan-out). They
 * live in prom-client's global registry, which the primary pulls over IPC and sums.
 */
export class WorkerMetrics {
  readonly connects: Counter;
  readonly disconnects: Counter<'reason'>;
  readonly reconnects: Counter<'signal'>;
  readonly pollingRequests: Counter<'method' | 'status'>;
  readonly engineErrors: Counter<'code' | 'message'>;
  readonly sessionsLost: Counter<'cause'>;
  readonly sessionUnknown: Counter<'cause' | 'transport'>;
  readonly socketLimited: Counter<'reason'>;
  readonly rateLimited: Counter<'route'>;
  readonly broadcastDuration: Histogram;

  constructor(
    workerId: number,
    connectionsByTransport: () => Record<M.TransportLabel, number>,
    private readonly registry: Registry = register,
  ) {
    this.connects = counter(M.SOCKET_CONNECTS_TOTAL, registry);
    this.disconnects = counter<'reason'>(M.SOCKET_DISCONNECTS_TOTAL, registry);
    this.reconnects = counter<'signal'>(M.SOCKET_RECONNECTS_TOTAL, registry);
    this.pollingRequests = counter<'method' | 'status'>(M.POLLING_REQUESTS_TOTAL, registry);
    this.engineErrors = counter<'code' | 'message'>(M.ENGINE_CONNECTION_ERRORS_TOTAL, registry);
    this.sessionsLost = counter<'cause'>(M.SESSIONS_LOST_TOTAL, registry);
    this.sessionUnknown = counter<'cause' | 'transport'>(M.SESSION_UNKNOWN_TOTAL, registry);
    this.socketLimited = counter<'reason'>(M.SOCKET_LIMITED_TOTAL, registry);
    zero(this.socketLimited, 'reason', M.SOCKET_LIMIT_REASONS);
    this.rateLimited = counter<'route'>(M.HTTP_RATE_LIMITED_TOTAL, registry);
    zero(this.rateLimited, 'route', M.RATE_LIMITED_ROUTES);
    for (const cause of M.SESSION_UNKNOWN_CAUSES) for (const transport of M.TRANSPORTS) this.sessionUnknown.inc({ cause, transport }, 0);
    this.broadcastDuration = histogram(M.BROADCAST_DURATION_SECONDS, registry);
    gauge<'transport'>(M.SOCKET_CONNECTIONS, this.registry, (g) => {
      const now = connectionsByTransport();
      for (const t of M.TRANSPORTS) g.set({ transport: t }, now[t]);
    });
    this.connects.inc(0);
    zero(this.reconnects, 'signal', M.RECONNECT_SIGNALS);
    zero(this.disconnects, 'reason', M.DISCONNECT_REASONS);
    zero(this.sessionsLost, 'cause', M.SESSION_LOST_CAUSES);
    for (const [code, message] of Object.entries(M.ENGINE_ERROR_MESSAGES)) this.engineErrors.inc({ code, message }, 0);
    for (const method of M.POLLING_METHODS) this.pollingRequests.inc({ method, status: '200' }, 0);
    this.pollingRequests.inc({ method: 'GET', status: '400' }, 0);
    collectDefaultMetrics({ register: this.registry, labels: { [M.WORKER_LABEL]: String(workerId) }, eventLoopMonitoringPrecision: M.EVENT_LOOP_MONITORING_PRECISION_MS });
  }
}

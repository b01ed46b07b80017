/**
 * What the load tests check in the Transit Tracker's events. No k6 import.
 *
 * Latency: `update_latency` = receive time − delta.generatedAt, taken from `vehicles:delta` only.
 * The snapshot sent on connect carries the generatedAt of the last upstream poll (up to
 * POLL_INTERVAL_MS old), so it measures feed age, not fan-out latency.
 * Route filtering: after a `subscribe` ack with status 'ok', every vehicle in later snapshots and
 * deltas must belong to the subscribed routes; events before the ack are not judged (the connect
 * snapshot holds every route by design). When the ack names an agency (a server with several,
 * whose vehicle ids are `<agency>:<id>`), a vehicle of another agency counts as foreign too.
 * The shapes, event names and guards are the service's own wire contract (src/protocol/), which
 * imports nothing, so k6 loads it as it is.
 */
import type { Inbound } from './engineio-types.ts';

import { isDelta, isRecord, isSnapshot } from '../../src/protocol/guards.ts';
import { DELTA_EVENT, SNAPSHOT_EVENT, type SubscribeRequest, type Vehicle } from '../../src/protocol/wire.ts';

export type { Delta, Snapshot, SubscribeAck, SubscribeRequest, Vehicle } from '../../src/protocol/wire.ts';
export { DELTA_EVENT, SNAPSHOT_EVENT, SUBSCRIBE_EVENT } from '../../src/protocol/wire.ts';

export interface Observation {
  kind: 'snapshot' | 'delta' | 'subscribed' | 'subscribe_error' | 'other' | 'invalid';
  /** Delta only: receivedAt − generatedAt, ms. */
  latencyMs?: number;
  /** Vehicles carried (snapshot vehicles / delta upserts). */
  vehicles: number;
  /** Vehicles of routes not subscribed to, counted only once subscribed. */
  foreign: number;
  /** Delta whose fromVersion is not the last version seen. */
  versionGap: boolean;
  /** Why an event was 'invalid' or a subscribe failed. */
  error?: string;
}

/** The `subscribe` payload for `routes`, naming `agency` when one is given (a server with several agencies). */
export function subscribeRequest(routes: string[], agency?: string): SubscribeRequest {
  return agency ? { routes, agency } : { routes };
}

/** Parses a ROUTES value like "N, 38" → ['N', '38']. */
export function parseRoutes(value: string | undefined): string[] {
  return (value ?? '').split(',').map((r) => r.trim()).filter((r) => r.length > 0);
}

/** Per-session judge of inbound events. Call reset() on every new session. */
export class TransitTracker {
  lastVersion: number | undefined;
  subscribedRoutes: string[] | undefined;
  /** The agency the ack named (servers with several agencies). */
  subscribedAgency: string | undefined;
  private subscribeAckId: number | undefined;
  private requestedRoutes: string[] = [];

  reset(): void {
    this.lastVersion = undefined;
    this.subscribedRoutes = undefined;
    this.subscribedAgency = undefined;
    this.subscribeAckId = undefined;
  }

  /** Remember which ack answers the subscribe emitted with ack id `ackId`. */
  expectSubscribeAck(ackId: number, routes: string[]): void {
    this.subscribeAckId = ackId;
    this.requestedRoutes = routes;
  }

  observe(msg: Inbound, receivedAt: number): Observation {
    const obs: Observation = { kind: 'other', vehicles: 0, foreign: 0, versionGap: false };
    if (msg.kind === 'ack') {
      if (msg.id !== this.subscribeAckId) return obs;
      const ack = msg.args[0];
      if (isRecord(ack) && ack.status === 'ok') {
        obs.kind = 'subscribed';
        this.subscribedRoutes = Array.isArray(ack.routes) ? ack.routes.map(String) : this.requestedRoutes;
        this.subscribedAgency = typeof ack.agency === 'string' ? ack.agency : undefined;
      } else {
        obs.kind = 'subscribe_error';
        obs.error = isRecord(ack) && typeof ack.message === 'string' ? ack.message : `bad ack ${JSON.stringify(ack)}`;
      }
      return obs;
    }
    const payload = msg.args[0];
    if (msg.name === SNAPSHOT_EVENT) {
      if (!isSnapshot(payload)) return { ...obs, kind: 'invalid', error: 'malformed vehicles:snapshot' };
      this.lastVersion = payload.version;
      return { ...obs, kind: 'snapshot', vehicles: payload.vehicles.length, foreign: this.countForeign(payload.vehicles) };
    }
    if (msg.name === DELTA_EVENT) {
      if (!isDelta(payload)) return { ...obs, kind: 'invalid', error: 'malformed vehicles:delta' };
      const gap = this.lastVersion !== undefined && payload.fromVersion !== this.lastVersion;
      this.lastVersion = payload.version;
      return {
        kind: 'delta',
        latencyMs: receivedAt - payload.generatedAt,
        vehicles: payload.upserts.length,
        foreign: this.countForeign(payload.upserts),
        versionGap: gap,
      };
    }
    return obs;
  }

  private countForeign(vehicles: Vehicle[]): number {
    const routes = this.subscribedRoutes;
    if (!routes) return 0;
    const agency = this.subscribedAgency;
    const otherAgency = (id: string) => agency !== undefined && id.includes(':') && !id.startsWith(`${agency}:`);
    return vehicles.filter((v) => (routes.length > 0 && !routes.includes(v.routeId)) || otherAgency(v.id)).length;
  }
}

/**
 * What the load tests check in the Transit Tracker's events. No k6 import.
 *
 * Latency: `update_latency` = receive time − delta.generatedAt, taken from `vehicles:delta` only.
 * The snapshot sent on connect carries the generatedAt of the last upstream poll (up to
 * POLL_INTERVAL_MS old), so it measures feed age, not fan-out latency.
 * Route filtering: after a `subscribe` ack with status 'ok', every vehicle in later snapshots and
 * deltas must belong to the subscribed routes; events before the ack are not judged (the connect
 * snapshot holds every route by design).
 * The shapes are the service's own (src/domain/vehicle.ts, types only: erased at run time).
 */
import type { Inbound } from './engineio-types.ts';

import type { Delta, Snapshot, Vehicle } from '../../src/domain/vehicle.ts';

export type { Delta, Snapshot, Vehicle };
export type SubscribeAck = { status: 'ok'; routes: string[] } | { status: 'error'; message: string };

export const SNAPSHOT_EVENT = 'vehicles:snapshot';
export const DELTA_EVENT = 'vehicles:delta';
export const SUBSCRIBE_EVENT = 'subscribe';

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

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function isVehicle(v: unknown): v is Vehicle {
  return isRecord(v) && typeof v.id === 'string' && typeof v.routeId === 'string' &&
    typeof v.lat === 'number' && typeof v.lon === 'number' && typeof v.updatedAt === 'number' &&
    (v.bearing === null || typeof v.bearing === 'number');
}
export function isSnapshot(v: unknown): v is Snapshot {
  return isRecord(v) && typeof v.version === 'number' && typeof v.generatedAt === 'number' &&
    Array.isArray(v.vehicles) && v.vehicles.every(isVehicle);
}
export function isDelta(v: unknown): v is Delta {
  return isRecord(v) && typeof v.fromVersion === 'number' && typeof v.version === 'number' &&
    typeof v.generatedAt === 'number' && Array.isArray(v.upserts) && v.upserts.every(isVehicle) &&
    Array.isArray(v.removals) && v.removals.every((r) => typeof r === 'string');
}

/** Parses a ROUTES value like "N, 38" → ['N', '38']. */
export function parseRoutes(value: string | undefined): string[] {
  return (value ?? '').split(',').map((r) => r.trim()).filter((r) => r.length > 0);
}

/** Per-session judge of inbound events. Call reset() on every new session. */
export class TransitTracker {
  lastVersion: number | undefined;
  subscribedRoutes: string[] | undefined;
  private subscribeAckId: number | undefined;
  private requestedRoutes: string[] = [];

  reset(): void {
    this.lastVersion = undefined;
    this.subscribedRoutes = undefined;
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
    return vehicles.filter((v) => !routes.includes(v.routeId)).length;
  }
}

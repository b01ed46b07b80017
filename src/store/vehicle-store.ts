import type { Delta, Snapshot, Vehicle } from '../domain/vehicle.js';
import { diffVehicles, indexById } from './snapshot-diff.js';

/** What {@link VehicleStore.apply} returns when the data changed. */
export interface StoreUpdate {
  snapshot: Snapshot;
  /** Absent for the very first snapshot: there is nothing to diff against. */
  delta?: Delta;
}

/**
 * The newest snapshot and its version. Each poll's vehicles are diffed against the current
 * snapshot; the version rises only when something changed, so clients can detect gaps.
 */
export class VehicleStore {
  private current: Snapshot | undefined;
  private byId = new Map<string, Vehicle>();

  /** The newest snapshot, or undefined before the first successful poll. */
  get snapshot(): Snapshot | undefined {
    return this.current;
  }

  /** Vehicles of the newest snapshot keyed by id (read-only view). */
  get index(): ReadonlyMap<string, Vehicle> {
    return this.byId;
  }

  /**
   * Takes a snapshot another instance polled, so that this store continues from it (same
   * versions everywhere) if this instance becomes the poller.
   */
  adopt(snapshot: Snapshot): void {
    if (this.current && snapshot.version <= this.current.version) return;
    this.current = snapshot;
    this.byId = indexById(snapshot.vehicles);
  }

  /** Takes one poll's vehicles; returns the new snapshot (and delta), or null if nothing changed. */
  apply(vehicles: readonly Vehicle[], generatedAt: number): StoreUpdate | null {
    const prev = this.current;
    const { upserts, removals } = diffVehicles(this.byId, vehicles);
    if (prev && upserts.length === 0 && removals.length === 0) {
      // Same data: keep the version but note that it is fresh again.
      this.current = { ...prev, generatedAt };
      return null;
    }
    const nextById = indexById(vehicles);
    const version = (prev?.version ?? 0) + 1;
    const snapshot: Snapshot = { version, generatedAt, vehicles: [...nextById.values()] };
    this.current = snapshot;
    this.byId = nextById;
    if (!prev) return { snapshot };
    return { snapshot, delta: { fromVersion: prev.version, version, generatedAt, upserts, removals } };
  }
}

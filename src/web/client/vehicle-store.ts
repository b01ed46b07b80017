/**
 * The client's copy of the vehicles it is shown: snapshots replace it, deltas patch it.
 * DOM-free: unit-tested under vitest's node environment.
 */
import type { Delta, Snapshot, Vehicle } from '../../protocol/wire.js';

/**
 * How a delta relates to the version the client holds:
 * - `apply`: `fromVersion` is exactly the held version;
 * - `stale`: the client already holds `delta.version` or newer (duplicate/late delivery) — ignore it;
 * - `gap`: anything else (missed deltas, or no snapshot yet) — the client must resync.
 */
export type DeltaCheck = 'apply' | 'stale' | 'gap';

export function checkDelta(heldVersion: number | null, delta: Pick<Delta, 'fromVersion' | 'version'>): DeltaCheck {
  if (heldVersion === null) return 'gap';
  if (delta.fromVersion === heldVersion && delta.version > heldVersion) return 'apply';
  if (delta.version <= heldVersion) return 'stale';
  return 'gap';
}

/** Applies a delta's upserts and removals to `vehicles` in place (no version check; see {@link checkDelta}). */
export function applyDeltaToMap(vehicles: Map<string, Vehicle>, delta: Pick<Delta, 'upserts' | 'removals'>): void {
  for (const id of delta.removals) vehicles.delete(id);
  for (const v of delta.upserts) vehicles.set(v.id, v);
}

export type DeltaResult =
  | { kind: 'applied' }
  | { kind: 'stale' }
  | { kind: 'gap'; heldVersion: number | null; fromVersion: number; version: number };

export class VehicleStore {
  private readonly byId = new Map<string, Vehicle>();
  private heldVersion: number | null = null;
  private heldGeneratedAt: number | null = null;

  /** Version of the data held; `null` before the first snapshot. */
  get version(): number | null {
    return this.heldVersion;
  }

  /** Server time (ms since epoch) the held data was built; `null` before the first snapshot. */
  get generatedAt(): number | null {
    return this.heldGeneratedAt;
  }

  get size(): number {
    return this.byId.size;
  }

  get(id: string): Vehicle | undefined {
    return this.byId.get(id);
  }

  values(): IterableIterator<Vehicle> {
    return this.byId.values();
  }

  /** Replaces everything with a snapshot (a snapshot may also narrow the route set, so any version is accepted). */
  replace(snapshot: Snapshot): void {
    this.byId.clear();
    for (const v of snapshot.vehicles) this.byId.set(v.id, v);
    this.heldVersion = snapshot.version;
    this.heldGeneratedAt = snapshot.generatedAt;
  }

  /** Applies a delta if it follows the held version; otherwise reports `stale` or `gap` and changes nothing. */
  applyDelta(delta: Delta): DeltaResult {
    const check = checkDelta(this.heldVersion, delta);
    if (check === 'stale') return { kind: 'stale' };
    if (check === 'gap') {
      return { kind: 'gap', heldVersion: this.heldVersion, fromVersion: delta.fromVersion, version: delta.version };
    }
    applyDeltaToMap(this.byId, delta);
    this.heldVersion = delta.version;
    this.heldGeneratedAt = delta.generatedAt;
    return { kind: 'applied' };
  }
}

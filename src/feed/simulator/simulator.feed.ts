import type { Vehicle } from '../../domain/vehicle.js';
import { callerAbortError } from '../feed-abort.js';
import type { Feed, FeedResult } from '../feed.js';
import { planFleet, type VehiclePlan } from './fleet-plan.js';
import { vehicleAt } from './vehicle-motion.js';

/** Settings of a {@link SimulatorFeed}. */
export interface SimulatorFeedOptions {
  /** Same seed (and same clock) ⇒ same vehicles at the same places. */
  seed: number;
  /** Fleet size, including vehicles that are momentarily out of service. */
  vehicles: number;
  /** Clock in ms since the epoch; injectable so tests can move time. @default Date.now */
  now?: () => number;
  /**
   * Share of vehicles out of service at any moment, 0–1. Non-zero so consumers see
   * vehicles disappear and come back, as they do on a real feed. @default 0.03
   */
  dropoutRate?: number;
}

/**
 * A deterministic stand-in for a real GTFS-RT upstream: SF Muni-like vehicles running
 * along their routes. Positions are a pure function of (seed, vehicle, clock), so every
 * worker and every test sees the same fleet without sharing state.
 */
export class SimulatorFeed implements Feed {
  readonly kind = 'simulator' as const;
  private readonly plans: readonly VehiclePlan[];
  private readonly seed: number;
  private readonly now: () => number;
  private readonly dropoutRate: number;
  private callCount = 0;

  constructor(options: SimulatorFeedOptions) {
    if (!Number.isInteger(options.vehicles) || options.vehicles < 0) {
      throw new RangeError(`vehicles must be a whole number ≥ 0, got ${options.vehicles}`);
    }
    const dropoutRate = options.dropoutRate ?? 0.03;
    if (!(dropoutRate >= 0 && dropoutRate <= 1)) {
      throw new RangeError(`dropoutRate must be within 0–1, got ${dropoutRate}`);
    }
    this.seed = options.seed;
    this.plans = planFleet(options.seed, options.vehicles);
    this.now = options.now ?? Date.now;
    this.dropoutRate = dropoutRate;
  }

  /** How many upstream calls (fetches) this feed has served; lets tests check polling is gated. */
  get calls(): number {
    return this.callCount;
  }

  /** One simulated upstream call: every in-service vehicle as of the clock's now. */
  fetch(signal?: AbortSignal): Promise<FeedResult> {
    this.callCount++;
    if (signal?.aborted) return Promise.reject(callerAbortError(signal.reason, 'simulator'));
    const at = this.now();
    const vehicles: Vehicle[] = [];
    for (const plan of this.plans) {
      const vehicle = vehicleAt(this.seed, plan, at, this.dropoutRate);
      if (vehicle) vehicles.push(vehicle);
    }
    return Promise.resolve({ vehicles, fetchedAt: at });
  }
}

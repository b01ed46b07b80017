import { z } from 'zod';
import type { Delta, Snapshot } from '../domain/vehicle.js';
import type { FeedStatus } from '../poller/feed-status.js';
import { parseValidatedJson, type Validated } from './validated-json.js';

/**
 * The largest snapshot version taken from Redis. Versions rise by one per changed poll, so
 * 2^40 is 35,000 years at one change a second: anything above is corruption, and adopting it
 * would freeze every instance (each ignores versions not above the newest it holds).
 */
export const MAX_PLAUSIBLE_VERSION = 2 ** 40;

/** Largest fencing number accepted (the Redis counter rises once per lease taken). */
const MAX_FENCE = Number.MAX_SAFE_INTEGER;

const time = z.number().int().min(0).max(8.64e15);
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const version = z.number().int().min(0).max(MAX_PLAUSIBLE_VERSION);
const text = z.string().max(1024);

const vehicle = z.object({
  id: text,
  routeId: text,
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
  bearing: z.number().nullable(),
  updatedAt: time,
  label: text.optional(),
  headsign: text.optional(),
  direction: text.optional(),
  occupancy: text.optional(),
});

const snapshot = z.object({ version, generatedAt: time, vehicles: z.array(vehicle) });

const delta = z
  .object({ fromVersion: version, version, generatedAt: time, upserts: z.array(vehicle), removals: z.array(text) })
  .refine((d) => d.version > d.fromVersion, { error: 'version must be above fromVersion', path: ['version'] });

const budget = z.object({
  perHour: count.nullable(),
  callsPerPoll: count,
  configuredIntervalMs: count,
  effectiveIntervalMs: count,
  store: z.enum(['memory', 'redis', 'none']),
  callsInWindow: count.nullable(),
  deferrals: count,
});

const feedStatus = z.object({
  feed: z.enum(['simulator', 'gtfs-rt', '511']),
  polling: z.boolean(),
  state: z.enum(['never', 'ok', 'failing', 'rate_limited', 'unauthorized']),
  lastSuccessAt: time.nullable(),
  lastError: z.object({ failure: text, message: text, at: time }).nullable(),
  consecutiveFailures: count,
  calls: count,
  notBefore: time.nullable().optional(),
  budget: budget.optional(),
});

const sender = { from: z.string().min(1).max(128), fence: z.number().int().min(1).max(MAX_FENCE) };

const message = z.discriminatedUnion('t', [
  z
    .object({ t: z.literal('data'), ...sender, snapshot, delta: delta.optional() })
    .refine((m) => !m.delta || m.delta.version === m.snapshot.version, { error: 'delta and snapshot versions differ', path: ['delta', 'version'] }),
  z.object({ t: z.literal('status'), ...sender, status: feedStatus }),
]);

/** What the poller lease holder publishes on the channel (and keeps as the newest snapshot). */
export type CoordinationMessage =
  | { t: 'data'; from: string; fence: number; snapshot: Snapshot; delta?: Delta }
  | { t: 'status'; from: string; fence: number; status: FeedStatus };

/**
 * Validates one raw message from the coordination channel or the snapshot key before any of
 * it is used: JSON of the right shape, plausible versions and times, a fencing number.
 */
export function parseCoordinationMessage(raw: string | null | undefined): Validated<CoordinationMessage> {
  return parseValidatedJson(message, raw) as Validated<CoordinationMessage>;
}

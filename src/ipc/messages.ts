import type { AgencyViewers } from '../demand/demand.js';
import type { CoordinationState } from '../coordination/coordinator.js';
import type { Delta, Snapshot } from '../domain/vehicle.js';
import type { FeedStatus } from '../poller/feed-status.js';

/** Why a worker is asked to close its sessions and exit. */
export type DrainCause = 'worker_recycled' | 'shutdown';

/** What made a worker ask to be recycled: MAX_SESSIONS_PER_WORKER new sessions, MAX_WORKER_RSS_MB, or SIGUSR2 (an operator, the pre-deploy harness). */
export type RecycleTrigger = 'sessions' | 'memory' | 'signal';

/** Why sessions of a worker were lost; the `cause` label of `transit_sessions_lost_total`. */
export type LostCause = DrainCause | 'worker_died' | 'worker_timeout';

/** One entry of the worker directory the primary broadcasts. */
export interface WorkerEntry {
  id: number;
  /** Loopback port on which the worker accepts forwarded requests. */
  internalPort: number;
  /** Draining workers finish their sessions but take no new ones. */
  draining: boolean;
  /** False after two missed heartbeats: no new connections until it beats again. */
  responsive: boolean;
}

/** Primary → worker. */
export type PrimaryMessage =
  | { t: 'data'; snapshot: Snapshot; delta?: Delta }
  | { t: 'feed-status'; status: FeedStatus }
  /** This instance's standing in the deployment (lease, Redis reachability), for `/readyz`. */
  | { t: 'coordination'; state: CoordinationState }
  | { t: 'directory'; workers: WorkerEntry[]; gone: Record<number, LostCause> }
  /** A connection from the public port (the socket rides along): its ledger id and the bytes read so far. */
  | { t: 'conn'; cid: number; head: Uint8Array }
  /** Close every session and exit; a recycle spreads the closes over `windowMs` (DRAIN_WINDOW_MS). */
  | { t: 'drain'; cause: DrainCause; windowMs: number }
  | { t: 'metrics-req'; id: number };

/** Worker → primary. */
export type WorkerMessage =
  | { t: 'ready'; internalPort: number }
  /** Absolute viewer counts; `agencies` per agency watched when the feed has several (FEED_AGENCIES). */
  | { t: 'viewers'; sockets: number; lastFallbackAt: number; agencies?: Record<string, AgencyViewers> }
  /** The worker passed a recycling limit; the primary recycles it when its turn comes. */
  | { t: 'recycle-me'; trigger: RecycleTrigger; sessions: number; rssBytes: number }
  /** Connections taken (`acked`) and closed since the last report, by `conn` id. */
  | { t: 'conns'; acked: number[]; closed: number[] }
  | { t: 'metrics-res'; id: number; metrics: unknown[] };

const PRIMARY_TYPES = new Set(['data', 'feed-status', 'coordination', 'directory', 'conn', 'drain', 'metrics-req']);
const WORKER_TYPES = new Set(['ready', 'viewers', 'recycle-me', 'conns', 'metrics-res']);

/** Narrows an IPC message to ours; other senders (prom-client cluster aggregation, Node internals) share the channel. */
export function isPrimaryMessage(m: unknown): m is PrimaryMessage {
  return typeof m === 'object' && m !== null && PRIMARY_TYPES.has((m as { t?: string }).t ?? '');
}

/** Narrows an IPC message to ours; see {@link isPrimaryMessage}. */
export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return typeof m === 'object' && m !== null && WORKER_TYPES.has((m as { t?: string }).t ?? '');
}

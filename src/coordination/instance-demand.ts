import type { Demand } from '../demand/demand.js';

/** What one instance publishes about its viewers: absolute, with an expiry. */
export interface InstanceDemand {
  instance: string;
  sockets: number;
  /** Until when (ms) a fallback viewer keeps demand open on that instance; 0 = none. */
  fallbackUntil: number;
  /** When this entry stops counting unless refreshed (ms). */
  expiresAt: number;
}

/** Parses a published entry; null for anything malformed (never trusted blindly). */
export function parseInstanceDemand(raw: string | null | undefined): InstanceDemand | null {
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as Partial<InstanceDemand>;
    if (typeof v.instance !== 'string' || !Number.isFinite(v.sockets) || !Number.isFinite(v.expiresAt)) return null;
    return { instance: v.instance, sockets: Math.max(0, v.sockets!), fallbackUntil: Number(v.fallbackUntil) || 0, expiresAt: v.expiresAt! };
  } catch {
    return null;
  }
}

/**
 * The deployment's demand: this instance's own (fresh) plus every other instance's live
 * entry. An instance that stops publishing drops out when its entry expires, so a dead
 * instance cannot hold demand open.
 */
export function combineDemand(local: Demand, self: string, others: readonly InstanceDemand[], now: number): Demand {
  let sockets = local.sockets;
  let fallbackUntil = local.fallback ? (local.fallbackUntil ?? now + 1) : 0;
  for (const e of others) {
    if (e.instance === self || e.expiresAt <= now) continue;
    sockets += e.sockets;
    if (e.fallbackUntil > now) fallbackUntil = Math.max(fallbackUntil, e.fallbackUntil);
  }
  return fallbackUntil > now ? { sockets, fallback: true, fallbackUntil } : { sockets, fallback: false };
}

import { z } from 'zod';
import type { AgencyDemand, Demand } from '../demand/demand.js';
import { parseValidatedJson } from './validated-json.js';

/** What one instance publishes about its viewers: absolute, with an expiry. */
export interface InstanceDemand {
  instance: string;
  sockets: number;
  /** Until when (ms) a fallback viewer keeps demand open on that instance; 0 = none. */
  fallbackUntil: number;
  /** When this entry stops counting unless refreshed (ms). */
  expiresAt: number;
  /** Viewers per agency (FEED=511 with several agencies); absent from older instances, whose viewers watch the default agency. */
  agencies?: Record<string, AgencyDemand>;
}

const entry = z.object({
  instance: z.string().min(1).max(128),
  // A negative count is a bug elsewhere, not a reason to drop the instance's viewers.
  sockets: z.number().int().max(10_000_000).transform((n) => Math.max(0, n)),
  fallbackUntil: z.number().min(0).catch(0),
  expiresAt: z.number().min(0),
  // A malformed breakdown loses only the breakdown: its viewers still count, for the default agency.
  agencies: z
    .record(z.string().regex(/^[A-Za-z0-9_-]{1,32}$/), z.object({ sockets: z.number().int().min(0).max(10_000_000), fallbackUntil: z.number().min(0) }))
    .refine((r) => Object.keys(r).length <= 64)
    .optional()
    .catch(undefined),
});

/** Parses a published entry; null for anything malformed (never trusted blindly). */
export function parseInstanceDemand(raw: string | null | undefined): InstanceDemand | null {
  const parsed = parseValidatedJson(entry, raw);
  if (!parsed.ok) return null;
  const { agencies, ...rest } = parsed.value;
  return agencies ? { ...rest, agencies } : rest;
}

/**
 * The deployment's demand: this instance's own (fresh) plus every other instance's live
 * entry. An instance that stops publishing drops out when its entry expires, so a dead
 * instance cannot hold demand open.
 */
export function combineDemand(local: Demand, self: string, others: readonly InstanceDemand[], now: number): Demand {
  let sockets = local.sockets;
  let fallbackUntil = local.fallback ? (local.fallbackUntil ?? now + 1) : 0;
  let agencies: Record<string, AgencyDemand> | undefined = local.agencies && addAgencies({}, local.agencies);
  for (const e of others) {
    if (e.instance === self || e.expiresAt <= now) continue;
    sockets += e.sockets;
    if (e.fallbackUntil > now) fallbackUntil = Math.max(fallbackUntil, e.fallbackUntil);
    if (e.agencies) agencies = addAgencies(agencies ?? {}, e.agencies);
  }
  const total: Demand = fallbackUntil > now ? { sockets, fallback: true, fallbackUntil } : { sockets, fallback: false };
  return agencies ? { ...total, agencies } : total;
}

function addAgencies(into: Record<string, AgencyDemand>, from: Record<string, AgencyDemand>): Record<string, AgencyDemand> {
  for (const [agency, d] of Object.entries(from)) {
    const a = (into[agency] ??= { sockets: 0, fallbackUntil: 0 });
    a.sockets += d.sockets;
    a.fallbackUntil = Math.max(a.fallbackUntil, d.fallbackUntil);
  }
  return into;
}

/** What changes in the other instances' demand are worth a re-read: counts, live fallbacks and, per agency, the same. */
export function demandSignature(entries: readonly InstanceDemand[], now: number): string {
  const agencies = (e: InstanceDemand) =>
    Object.entries(e.agencies ?? {})
      .map(([a, d]) => `${a}=${d.sockets}/${d.fallbackUntil > now}`)
      .sort()
      .join(';');
  return entries.map((e) => `${e.instance}:${e.sockets}:${e.fallbackUntil > now}:${agencies(e)}`).sort().join(',');
}

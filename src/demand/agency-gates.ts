import { isPolling, stepGate, type GateState } from './demand-gate.js';

/** One demand gate per agency (a feed with one implicit agency has one gate, keyed `''`). */
export type AgencyGates = ReadonlyMap<string, GateState>;

/** What changed when the watched agencies were applied to the gates. */
export interface AgencyGatesStep {
  gates: Map<string, GateState>;
  /** Agencies whose gate just opened from idle (poll them soon if their data is stale). */
  opened: string[];
  /** Agencies whose gate just closed (their grace period ended). */
  closed: string[];
}

/**
 * Steps every agency's gate (see {@link stepGate}): agency X polls while someone watches X
 * and for `graceMs` after the last one left. `keys` are every agency there is.
 */
export function stepAgencyGates(gates: AgencyGates, keys: readonly string[], watched: readonly string[], now: number, graceMs: number): AgencyGatesStep {
  const next = new Map<string, GateState>();
  const opened: string[] = [];
  const closed: string[] = [];
  const on = new Set(watched);
  for (const key of keys) {
    const step = stepGate(gates.get(key) ?? { kind: 'idle' }, on.has(key), now, graceMs);
    next.set(key, step.state);
    if (step.opened) opened.push(key);
    if (step.closed) closed.push(key);
  }
  return { gates: next, opened, closed };
}

/** Agencies being polled (gate open or in grace), in `keys` order. */
export function polledAgencies(gates: AgencyGates): string[] {
  return [...gates].filter(([, g]) => isPolling(g)).map(([k]) => k);
}

/** The earliest grace deadline among the gates, if any. */
export function nextGraceEnd(gates: AgencyGates): number | null {
  let at: number | null = null;
  for (const g of gates.values()) if (g.kind === 'grace') at = at === null ? g.until : Math.min(at, g.until);
  return at;
}

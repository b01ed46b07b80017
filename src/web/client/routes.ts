/** Route ids: ordering, labels, the set of routes seen, and the client-side filter. DOM-free. */
import type { Vehicle } from '../../protocol/wire.js';

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Natural order: numbered routes first by number (`1`, `5R`, `14`, `38`, `38R`), then lettered (`F`, `KT`, `N`). */
export function compareRoutes(a: string, b: string): number {
  const an = /^\d/.test(a);
  const bn = /^\d/.test(b);
  if (an !== bn) return an ? -1 : 1;
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** The short text drawn on a marker. */
export function routeLabel(routeId: string): string {
  return routeId === '' ? '?' : routeId;
}

/** Adds the (non-empty) route ids of `vehicles` to `seen`; returns whether anything was new. */
export function collectRoutes(seen: Set<string>, vehicles: Iterable<Pick<Vehicle, 'routeId'>>): boolean {
  let added = false;
  for (const v of vehicles) {
    if (v.routeId !== '' && !seen.has(v.routeId)) {
      seen.add(v.routeId);
      added = true;
    }
  }
  return added;
}

export function sortedRoutes(routes: Iterable<string>): string[] {
  return [...routes].sort(compareRoutes);
}

/** Whether a vehicle is shown for a selection (empty selection = all routes). */
export function routeSelected(selection: ReadonlySet<string>, routeId: string): boolean {
  return selection.size === 0 || selection.has(routeId);
}

/** A stable hue per route (one of 12, 30° apart, so neighbours stay tellable apart); each route's markers share it. */
export function routeHue(routeId: string): number {
  let h = 2166136261;
  for (let i = 0; i < routeId.length; i++) {
    h ^= routeId.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return ((h >>> 0) % 12) * 30;
}

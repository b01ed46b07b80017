/**
 * Which upstream the server polls, read from `GET /readyz` (the feed check's `feed` field),
 * so the page can say when its vehicles are simulated. DOM-free: unit-tested under node.
 */

/** The feed kind in a `/readyz` body (terminus shape: `details.feed.feed`), or `null` if absent. */
export function feedKindFromReadyz(raw: unknown): string | null {
  const details = isRecord(raw) ? raw['details'] : undefined;
  const feed = isRecord(details) ? details['feed'] : undefined;
  const kind = isRecord(feed) ? feed['feed'] : undefined;
  return typeof kind === 'string' ? kind : null;
}

/** The notice to show for a feed kind: simulated data is always said; real feeds need none. */
export function feedNotice(kind: string | null): string | null {
  return kind === 'simulator' ? 'Simulated vehicles — not live transit data' : null;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

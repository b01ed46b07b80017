import { createHash } from 'node:crypto';
import { ROUTE_ID_PATTERN, ROUTE_ID_RULE } from '../protocol/wire.js';

/** Strong ETag of a snapshot version as seen through a route filter. */
export function snapshotEtag(version: number, routesKey: string): string {
  const routes = routesKey === '*' ? 'all' : createHash('sha1').update(routesKey).digest('base64url').slice(0, 12);
  return `"v${version}-${routes}"`;
}

/** RFC 9110 If-None-Match: a list of tags or `*`; weak comparison, as GET allows. */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => bare(t) === bare(etag));
}

/** Parses `?routes=N,38`: null for all routes, or an error message for bad ids. */
export function parseRoutesQuery(raw: unknown): { routes: Set<string> | null } | { error: string } {
  if (raw === undefined || raw === '') return { routes: null };
  if (typeof raw !== 'string') return { error: 'routes must be given once, as a comma-separated list' };
  const ids = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = ids.find((id) => !ROUTE_ID_PATTERN.test(id));
  if (bad !== undefined) return { error: `route id ${JSON.stringify(bad)} is not ${ROUTE_ID_RULE}` };
  return { routes: ids.length ? new Set(ids) : null };
}

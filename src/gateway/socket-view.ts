import { routeSetKey, type RouteSet } from '../store/route-filter.js';
import type { SocketData } from './events.js';

/**
 * Sets what a client watches (routes, agency) and the key of the group that receives the same
 * broadcast packet. The key is computed here, once per subscribe, not per client on every
 * update: with route sets it sorts and joins them.
 */
export function setView(data: SocketData, routes: RouteSet, agency: string | null): void {
  data.routes = routes;
  data.agency = agency;
  data.groupKey = routeSetKey(routes, agency);
}

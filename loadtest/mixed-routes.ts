/**
 * Clients that subscribe to some routes (env ROUTES, default "N,38") after each connect and
 * check that, once the subscribe ack says ok, only those routes' vehicles arrive:
 * foreign_route_updates must stay 0. Transport: env TRANSPORT=polling (default) | websocket.
 *
 *   k6 run -e ROUTES=N,38,14 loadtest/mixed-routes.ts
 *   k6 run -e ROUTES=51B -e AGENCY=AC loadtest/mixed-routes.ts    (FEED=511 with FEED_AGENCIES=SF,AC)
 */
import type { Options } from 'k6/options';
import {
  BASE_URL, envChoice, envString, newLoadClient, requireHealthy, scenarios, summaryFiles, type SetupData,
} from './lib/k6-env.ts';
import { runPollingClient } from './lib/k6-polling.ts';
import { runWebSocketClient } from './lib/k6-websocket.ts';
import type { SummaryData } from './lib/summary.ts';
import { routeFilterThresholds, sharedThresholds } from './lib/thresholds.ts';
import { parseRoutes } from './lib/transit.ts';

const ROUTES = parseRoutes(envString('ROUTES', 'N,38'));
if (ROUTES.length === 0) throw new Error('ROUTES must name at least one route, e.g. ROUTES=N,38');
const AGENCY = envString('AGENCY', '');
const TRANSPORT = envChoice('TRANSPORT', ['polling', 'websocket'] as const, 'polling');

export const options: Options = {
  scenarios: scenarios(),
  thresholds: { ...sharedThresholds, ...routeFilterThresholds },
};

export function setup(): SetupData {
  return requireHealthy(BASE_URL);
}

export default function (data: SetupData): void {
  const client = newLoadClient(data.baseUrl, TRANSPORT, ROUTES, AGENCY || undefined);
  if (TRANSPORT === 'websocket') runWebSocketClient(client);
  else runPollingClient(client);
}

export function handleSummary(data: SummaryData): Record<string, string> {
  return summaryFiles(data, `mixed-routes (${ROUTES.join(',')} over ${TRANSPORT})`);
}

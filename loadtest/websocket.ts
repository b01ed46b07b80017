/**
 * The same clients as polling-soak.ts on Engine.IO's websocket transport (k6/websockets):
 * ws://…/socket.io/?EIO=4&transport=websocket. Same metrics where they apply
 * (polling_unexpected_400_rate and polling_ended_400s stay empty: there are no polling requests).
 *
 *   k6 run -e PROFILE=average loadtest/websocket.ts
 */
import type { Options } from 'k6/options';
import { BASE_URL, newLoadClient, requireHealthy, scenarios, summaryFiles, type SetupData } from './lib/k6-env.ts';
import { runWebSocketClient } from './lib/k6-websocket.ts';
import type { SummaryData } from './lib/summary.ts';
import { sharedThresholds } from './lib/thresholds.ts';

export const options: Options = {
  scenarios: scenarios(),
  thresholds: { ...sharedThresholds },
};

export function setup(): SetupData {
  return requireHealthy(BASE_URL);
}

export default function (data: SetupData): void {
  runWebSocketClient(newLoadClient(data.baseUrl, 'websocket'));
}

export function handleSummary(data: SummaryData): Record<string, string> {
  return summaryFiles(data, 'websocket');
}

/**
 * Browser-like Socket.IO clients on HTTP long-polling only, speaking Engine.IO v4 / Socket.IO v5
 * by hand over k6/http: handshake GET, POST "40{auth}", long-poll GETs, pongs, events.
 * Hunts polling 400s ("Session ID unknown" for a misrouted or unknown sid: a request reached a
 * worker that does not own the session; ended sessions are counted apart, not failed) and counts
 * lost sessions and reconnects, e.g. across worker recycling.
 *
 *   k6 run loadtest/polling-soak.ts                       # smoke
 *   k6 run -e PROFILE=soak -e BASE_URL=http://host:8080 loadtest/polling-soak.ts
 */
import type { Options } from 'k6/options';
import { BASE_URL, newLoadClient, requireHealthy, scenarios, summaryFiles, type SetupData } from './lib/k6-env.ts';
import { runPollingClient } from './lib/k6-polling.ts';
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
  runPollingClient(newLoadClient(data.baseUrl, 'polling'));
}

export function handleSummary(data: SummaryData): Record<string, string> {
  return summaryFiles(data, 'polling-soak');
}

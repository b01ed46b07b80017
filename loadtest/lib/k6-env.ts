/**
 * k6-specific environment glue: __ENV parsing, BASE_URL, the selected profile, the health gate
 * for setup() and handleSummary() outputs. Env:
 *   BASE_URL (default http://127.0.0.1:8080)  PROFILE  VUS  HOLD  SESSION_SECONDS
 *   ROUTES (mixed-routes, default "N,38")  TRANSPORT (mixed-routes: polling|websocket)
 *   AGENCY (mixed-routes: one of the server's FEED_AGENCIES; default none = the server's first)
 *   SUMMARY_JSON (default summary.json)
 */
import http from 'k6/http';
import type { Scenario } from 'k6/options';
import type { TransportName } from './engineio.ts';
import { LoadClient, type LoadClientConfig } from './k6-client.ts';
import { buildScenarios, selectProfile } from './profiles.ts';
import { summaryOutputs, type SummaryData } from './summary.ts';

export function envString(name: string, fallback: string): string {
  const v = __ENV[name];
  return v === undefined || v.trim() === '' ? fallback : v.trim();
}

/** One of `choices`; throws naming them otherwise. */
export function envChoice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
  const v = envString(name, fallback);
  if (!(choices as readonly string[]).includes(v)) throw new Error(`${name} must be one of ${choices.join(', ')}, got ${v}`);
  return v as T;
}

export function envNumber(name: string, fallback: number): number {
  const raw = __ENV[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${raw}`);
  return n;
}

export const BASE_URL = envString('BASE_URL', 'http://127.0.0.1:8080').replace(/\/+$/, '');
export const PROFILE = selectProfile(__ENV.PROFILE);
export const SESSION_SECONDS = envNumber('SESSION_SECONDS', PROFILE.sessionSeconds);

/** options.scenarios for the selected profile (VUS/HOLD/SESSION_SECONDS applied). */
export function scenarios(exec?: string): Record<string, Scenario> {
  const o: Parameters<typeof buildScenarios>[1] = { vus: envNumber('VUS', PROFILE.peakVus), sessionSeconds: SESSION_SECONDS };
  const hold = __ENV.HOLD;
  if (hold !== undefined && hold.trim() !== '') o.hold = hold.trim();
  if (exec !== undefined) o.exec = exec;
  return buildScenarios(PROFILE, o);
}

export interface SetupData {
  baseUrl: string;
  profile: string;
  startedAt: number;
}

/** For setup(): throws (aborting the run before any VU starts) unless GET /healthz is 200. */
export function requireHealthy(baseUrl: string = BASE_URL): SetupData {
  const url = `${baseUrl}/healthz`;
  const res = http.get(url, { timeout: '10s', tags: { name: 'healthz' } });
  if (res.status !== 200) {
    const why = res.status === 0 ? res.error : `status ${res.status}`;
    throw new Error(`${url} is not healthy (${why}); is the server up at BASE_URL=${baseUrl}?`);
  }
  return { baseUrl, profile: PROFILE.name, startedAt: Date.now() };
}

/** handleSummary() result: text summary on stdout, full JSON at SUMMARY_JSON (default summary.json). */
export function summaryFiles(data: SummaryData, script: string): Record<string, string> {
  return summaryOutputs(data, `${script} · profile ${PROFILE.name} · ${BASE_URL}`, envString('SUMMARY_JSON', 'summary.json'));
}

/** A fresh client id per iteration (= per simulated page load). */
export function newClientId(): string {
  return `k6-${__VU}-${__ITER}-${Math.random().toString(36).slice(2, 8)}`;
}

/** The client one iteration runs: fresh clientId, lives SESSION_SECONDS. */
export function newLoadClient(baseUrl: string, transport: TransportName, routes?: string[], agency?: string): LoadClient {
  const cfg: LoadClientConfig = { baseUrl, transport, clientId: newClientId(), durationMs: SESSION_SECONDS * 1000 };
  if (routes !== undefined) cfg.routes = routes;
  if (agency) cfg.agency = agency;
  return new LoadClient(cfg);
}

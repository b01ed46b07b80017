/**
 * A real Prometheus server (Debian package `prometheus`, /usr/bin/prometheus) for the
 * live observability spec: loopback only, an ephemeral port, a temporary config that
 * scrapes one target every second and loads prometheus/rules.yml, a temporary TSDB, and
 * everything removed again by `stop()`. A missing binary fails with an install hint.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from '../../scripts/predeploy/free-port.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './promtool.js';

export const PROMETHEUS_MISSING =
  'prometheus not found on PATH: install the Debian package `prometheus` ' +
  '(apt-get install -y --no-install-recommends prometheus), which ships /usr/bin/prometheus.';

/** One sample of an instant vector, as `/api/v1/query` returns it. */
export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** `/api/v1/query` answer: `data` for success, `errorType`/`error` otherwise. */
export interface QueryAnswer {
  status: 'success' | 'error';
  data?: { resultType: string; result: unknown };
  errorType?: string;
  error?: string;
  warnings?: string[];
}

export interface RuleState {
  name: string;
  query: string;
  type: 'recording' | 'alerting';
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
  lastEvaluation: string;
}

export interface PrometheusServer {
  url: string;
  port: number;
  /** Instant query at "now" through the HTTP API (POST, so long expressions are fine). */
  query: (expr: string) => Promise<QueryAnswer>;
  /** Range query over the last `seconds` (what a timeseries panel sends), one step per `stepSeconds`. */
  queryRange: (expr: string, seconds: number, stepSeconds: number) => Promise<QueryAnswer>;
  /** `/api/v1/label/<label>/values?match[]=<selector>`: what Grafana asks for `label_values(selector, label)`. */
  labelValues: (label: string, selector: string) => Promise<string[]>;
  /** Every rule of every loaded group (`/api/v1/rules`). */
  rules: () => Promise<{ group: string; file: string; rules: RuleState[] }[]>;
  /** Scrape targets with their health (`/api/v1/targets`, active ones). */
  targets: () => Promise<{ scrapeUrl: string; health: string; lastError: string; lastScrape: string }[]>;
  /** Prometheus's own output so far (it logs to stderr). */
  output: () => string;
  /** SIGTERM (SIGKILL after 10 s), then removes the config and TSDB. */
  stop: () => Promise<void>;
}

export interface PrometheusOptions {
  /** `host:port` to scrape at `/metrics`. */
  target: string;
  /** Rule files to load (absolute paths); default prometheus/rules.yml. */
  ruleFiles?: string[];
  scrapeInterval?: string;
  evaluationInterval?: string;
  readyTimeoutMs?: number;
  /** Target labels added to every scraped series (as Fly's Prometheus adds `app`). */
  labels?: Record<string, string>;
}


/** The prometheus.yml the server runs with. */
export function prometheusConfig(
  o: Required<Pick<PrometheusOptions, 'target' | 'ruleFiles' | 'scrapeInterval' | 'evaluationInterval'>> & Pick<PrometheusOptions, 'labels'>,
): string {
  return [
    'global:',
    `  scrape_interval: ${o.scrapeInterval}`,
    `  scrape_timeout: ${o.scrapeInterval}`,
    `  evaluation_interval: ${o.evaluationInterval}`,
    'rule_files:',
    ...o.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`),
    'scrape_configs:',
    '  - job_name: transit-tracker',
    '    metrics_path: /metrics',
    '    static_configs:',
    `      - targets: [${JSON.stringify(o.target)}]`,
    ...(o.labels ? [`        labels: ${JSON.stringify(o.labels)}`] : []),
    '',
  ].join('\n');
}

/**
 * Starts Prometheus and resolves once `/-/ready` answers 200. The port is picked free
 * just before the start; if another process takes it in between, it retries on a new one.
 */
export async function startPrometheus(opts: PrometheusOptions): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'transit-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(
    configFile,
    prometheusConfig({
      target: opts.target,
      ruleFiles: opts.ruleFiles ?? [join(ROOT, 'prometheus/rules.yml')],
      scrapeInterval: opts.scrapeInterval ?? '1s',
      evaluationInterval: opts.evaluationInterval ?? '1s',
      labels: opts.labels,
    }),
  );
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await launch(dir, configFile, await freePort(), opts.readyTimeoutMs ?? 60_000);
    } catch (error) {
      lastError = error;
      if (!/address already in use/.test(String((error as Error).message))) break;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}

async function launch(dir: string, configFile: string, port: number, readyTimeoutMs: number): Promise<PrometheusServer> {
  const tsdb = join(dir, `data-${port}`);
  const proc: ChildProcess = spawn(
    process.env['PROMETHEUS'] ?? 'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${tsdb}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  proc.stdout!.setEncoding('utf8').on('data', (c: string) => (output += c));
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (output += c));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const spawnFailed = new Promise<Error>((resolve) => proc.once('error', resolve));
  const url = `http://127.0.0.1:${port}`;

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (!stopped) {
      stopped = true;
      if (proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  // Ready, or the reason it is not.
  const deadline = Date.now() + readyTimeoutMs;
  let exitCode: number | null | undefined;
  let spawnError: Error | undefined;
  void exited.then((c) => (exitCode = c));
  void spawnFailed.then((e) => (spawnError = e));
  for (;;) {
    if (spawnError) {
      await stop();
      if ((spawnError as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(PROMETHEUS_MISSING);
      throw spawnError;
    }
    if (exitCode !== undefined) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`prometheus exited with code ${exitCode} before it was ready:\n${output}`);
    }
    try {
      const r = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) });
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus was not ready within ${readyTimeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const api = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const r = await fetch(`${url}${path}`, { ...init, signal: AbortSignal.timeout(30_000) });
    return (await r.json()) as T;
  };
  return {
    url,
    port,
    query: (expr) =>
      api<QueryAnswer>('/api/v1/query', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query: expr }).toString(),
      }),
    queryRange: (expr, seconds, stepSeconds) => {
      const end = Date.now() / 1000;
      return api<QueryAnswer>('/api/v1/query_range', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query: expr, start: String(end - seconds), end: String(end), step: String(stepSeconds) }).toString(),
      });
    },
    labelValues: async (label, selector) => {
      const r = await api<{ status: string; data: string[] }>(`/api/v1/label/${encodeURIComponent(label)}/values?${new URLSearchParams({ 'match[]': selector })}`);
      return r.data ?? [];
    },
    rules: async () => {
      const r = await api<{ data: { groups: { name: string; file: string; rules: RuleState[] }[] } }>('/api/v1/rules');
      return r.data.groups.map((g) => ({ group: g.name, file: g.file, rules: g.rules }));
    },
    targets: async () => {
      const r = await api<{ data: { activeTargets: { scrapeUrl: string; health: string; lastError: string; lastScrape: string }[] } }>(
        '/api/v1/targets?state=active',
      );
      return r.data.activeTargets;
    },
    output: () => output,
    stop,
  };
}

/** The samples of a successful instant-vector answer (scalars become one unlabelled sample). */
export function samples(answer: QueryAnswer): VectorSample[] {
  if (answer.status !== 'success' || !answer.data) return [];
  const { resultType, result } = answer.data;
  if (resultType === 'vector') return result as VectorSample[];
  if (resultType === 'scalar') return [{ metric: {}, value: result as [number, string] }];
  if (resultType === 'matrix') {
    return (result as { metric: Record<string, string>; values: [number, string][] }[]).flatMap((s) =>
      s.values.length > 0 ? [{ metric: s.metric, value: s.values.at(-1)! }] : [],
    );
  }
  return [];
}

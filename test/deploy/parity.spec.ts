/**
 * One production command and environment: deploy/production.json. The Dockerfile (CMD, ENV),
 * fly.toml ([processes], [env], ports, checks, kill timeout), docker-compose.yml (the app
 * service), package.json's start script and the pre-deploy harness must all agree with it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PRODUCTION_FILE, loadProduction, resolveCommand } from '../../scripts/predeploy/production.ts';
import { envSchema } from '../../src/config/config.schema.js';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { parse as parseToml, type TomlTable } from 'smol-toml';
import { parse as parseYaml } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');
const prod = loadProduction();
const docker = readDockerfile(read('Dockerfile'));
const fly = parseToml(read('fly.toml'));
const compose = parseYaml(read('docker-compose.yml')) as { services: Record<string, Record<string, unknown>> };
const services = compose.services;
const app = services.app!;
const table = (t: TomlTable, key: string) => t[key] as TomlTable;
const gracefulS = Number(prod.env.GRACEFUL_TIMEOUT_MS) / 1000;
/** Compose-only additions to the app's environment: tracing to the compose trace backend, its Redis. */
const COMPOSE_EXTRAS = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_SERVICE_NAME', 'REDIS_URL'];

/** The pieces of the Dockerfile the checks compare: every stage's base image and RUN lines, the final stage's settings. */
function readDockerfile(source: string) {
  const file = DockerfileParser.parse(source);
  const froms = file.getFROMs();
  const final = file.getContainingImage(froms.at(-1)!.getRange().start)!;
  const args = (i: Instruction) => i.getArgumentsContent() ?? '';
  const last = (keyword: string) => final.getInstructions().filter((i) => i.getKeyword() === keyword).map(args).at(-1) ?? null;
  return {
    from: froms.map((f) => f.getImage()),
    run: file.getInstructions().filter((i) => i.getKeyword() === 'RUN').map(args),
    finalRun: final.getInstructions().filter((i) => i.getKeyword() === 'RUN').map(args),
    env: Object.fromEntries(final.getENVs().flatMap((e) => e.getProperties().map((p) => [p.getName(), p.getValue()]))),
    /** The exec form only (a shell-form CMD would not pass SIGTERM to node): its strings, else []. */
    cmd: final.getCMDs().at(-1)?.getJSONStrings().map((s) => s.getJSONValue()) ?? [],
    user: last('USER'),
    expose: final.getInstructions().filter((i) => i.getKeyword() === 'EXPOSE').flatMap((i) => args(i).split(/\s+/)),
    healthcheck: last('HEALTHCHECK'),
    stopsignal: last('STOPSIGNAL'),
  };
}

describe('deploy/production.json is the one source of truth', () => {
  it('is a valid configuration of the service, with secrets kept out of it', () => {
    const parsed = envSchema.safeParse(prod.env);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    const known = new Set([...Object.keys(envSchema.shape), 'NODE_ENV']);
    expect(Object.keys(prod.env).filter((k) => !known.has(k))).toEqual([]);
    for (const s of prod.secrets) expect(prod.env).not.toHaveProperty(s);
    expect(prod.env.METRICS_HOST, 'Fly and Prometheus scrape from outside the container').toBe('0.0.0.0');
    expect(prod.env.HOST).toBe('0.0.0.0');
  });

  it('the harness runs exactly this command (and npm start does too)', () => {
    expect(path.relative(ROOT, PRODUCTION_FILE)).toBe('deploy/production.json');
    expect(resolveCommand(prod.command, '/node24')).toEqual({ file: '/node24', args: prod.command.slice(1) });
    expect(prod.command[0]).toBe('node');
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe(prod.command.join(' '));
  });
});

describe('Dockerfile', () => {
  it('CMD and ENV of the final stage are the production command and environment', () => {
    expect(docker.cmd).toEqual(prod.command);
    expect(docker.env).toEqual(prod.env);
  });

  it('multi-stage on a version-pinned node:24 slim image, npm ci, build, prune, non-root', () => {
    expect(docker.from.length).toBeGreaterThanOrEqual(2);
    for (const image of docker.from) expect(image).toMatch(/^node:24\.\d+\.\d+-(bookworm-)?slim$/);
    const run = docker.run.join('\n');
    expect(run).toMatch(/npm ci\b/);
    expect(run).toMatch(/npm run build/);
    expect(run).toMatch(/npm prune --omit=dev --omit=optional/);
    expect(docker.user).toBe('node');
    expect(docker.finalRun.filter((r) => /npm (ci|install)/.test(r))).toEqual([]);
  });

  it('HEALTHCHECK probes the health path on PORT; ports exposed; SIGTERM', () => {
    expect(docker.healthcheck).toContain(prod.healthcheck.path);
    expect(docker.healthcheck).toMatch(/process\.env\.PORT/);
    expect(docker.expose).toEqual(expect.arrayContaining([prod.env.PORT, prod.env.METRICS_PORT]));
    expect(docker.stopsignal ?? 'SIGTERM').toBe('SIGTERM');
  });
});

describe('fly.toml', () => {
  it('[processes] runs the command and [env] is the environment', () => {
    expect((table(fly, 'processes').app as string).split(/\s+/)).toEqual(prod.command);
    expect(table(fly, 'env')).toEqual(prod.env);
  });

  it('kill_timeout covers the drain, with SIGTERM', () => {
    expect(fly.kill_signal).toBe('SIGTERM');
    expect(fly.kill_timeout).toBe(prod.killTimeoutSeconds);
    expect(fly.kill_timeout as number).toBeGreaterThanOrEqual(gracefulS);
  });

  it('http_service on PORT, connection concurrency, GET health check, metrics on METRICS_PORT', () => {
    const http = table(fly, 'http_service');
    expect(http.internal_port).toBe(Number(prod.env.PORT));
    expect(table(http, 'concurrency').type).toBe('connections');
    const checks = http.checks as TomlTable[];
    expect(checks.length).toBeGreaterThan(0);
    for (const c of checks) expect(c).toMatchObject({ method: 'GET', path: prod.healthcheck.path });
    expect(table(fly, 'metrics')).toMatchObject({ port: Number(prod.env.METRICS_PORT), path: prod.metrics.path });
    expect(http.processes).toEqual(Object.keys(table(fly, 'processes')));
  });
});

describe('docker-compose.yml', () => {
  it('the app service runs the command with the environment (+ tracing to the compose backend)', () => {
    expect(app.command).toEqual(prod.command);
    const env = app.environment as Record<string, string>;
    const base = Object.fromEntries(Object.entries(env).filter(([k]) => !COMPOSE_EXTRAS.includes(k)));
    expect(base).toEqual(prod.env);
    const otlp = new URL(env.OTEL_EXPORTER_OTLP_ENDPOINT!);
    expect(Object.keys(services)).toContain(otlp.hostname);
    expect(otlp.port).toBe('4318'); // OTLP/HTTP
    expect((services[otlp.hostname]!.environment as Record<string, string>).COLLECTOR_OTLP_ENABLED).toBe('true');
    const redis = new URL(env.REDIS_URL!);
    expect(redis.protocol).toBe('redis:');
    expect(Object.keys(services)).toContain(redis.hostname);
    expect(prod.secrets).toContain('REDIS_URL');
    expect(envSchema.safeParse({ ...prod.env, ...env }).success).toBe(true);
  });

  it('ports, stop grace period, and every image pinned to a version', () => {
    expect(app.ports).toContain(`${prod.env.PORT}:${prod.env.PORT}`);
    expect(app.stop_signal).toBe('SIGTERM');
    expect(Number(/^(\d+)s$/.exec(app.stop_grace_period as string)?.[1])).toBeGreaterThanOrEqual(gracefulS);
    for (const [name, s] of Object.entries(services)) {
      if (name === 'app') continue;
      expect(s.image, name).toMatch(/^[\w./-]+:v?\d+\.\d+\.\d+[\w.-]*$/);
    }
    expect(Object.keys(services).sort()).toEqual(['app', 'grafana', 'jaeger', 'prometheus', 'redis']);
  });

  it('Prometheus with the project’s config and rules scrapes the app; Grafana gets provisioning and dashboards', () => {
    const vols = (name: string) => services[name]!.volumes as string[];
    expect(vols('prometheus')).toEqual(expect.arrayContaining(['./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro', './prometheus/rules.yml:/etc/prometheus/rules.yml:ro']));
    expect(vols('grafana')).toEqual(expect.arrayContaining(['./grafana/provisioning:/etc/grafana/provisioning:ro', './dashboards:/var/lib/grafana/dashboards:ro']));
    const prometheus = parseYaml(read('prometheus/prometheus.yml')) as { scrape_configs: { static_configs: { targets: string[] }[] }[] };
    expect(prometheus.scrape_configs.flatMap((j) => j.static_configs.flatMap((s) => s.targets))).toEqual([`app:${prod.env.METRICS_PORT}`]);
    const grafana = parseYaml(read('grafana/provisioning/datasources/prometheus.yml')) as { datasources: { url: string }[] };
    expect(grafana.datasources.map((d) => d.url)).toEqual(['http://prometheus:9090']);
  });
});

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
import { finalStage, parseEnvArgs } from './parse-dockerfile.ts';
import { parseToml, type TomlTable } from './parse-toml.ts';
import { parseYaml, type YamlValue } from './parse-yaml.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');
const prod = loadProduction();
const docker = finalStage(read('Dockerfile'));
const fly = parseToml(read('fly.toml'));
const compose = parseYaml(read('docker-compose.yml')) as { [k: string]: YamlValue };
const services = compose.services as Record<string, Record<string, YamlValue>>;
const app = services.app!;
const table = (t: TomlTable, key: string) => t[key] as TomlTable;
const gracefulS = Number(prod.env.GRACEFUL_TIMEOUT_MS) / 1000;
/** Compose-only additions to the app's environment: tracing to the compose trace backend, its Redis. */
const COMPOSE_EXTRAS = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_SERVICE_NAME', 'REDIS_URL'];

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
    expect(docker.stages.length).toBeGreaterThanOrEqual(2);
    for (const s of docker.stages) expect(s.from).toMatch(/^node:24\.\d+\.\d+-(bookworm-)?slim$/);
    const run = docker.run.join('\n');
    expect(run).toMatch(/npm ci\b/);
    expect(run).toMatch(/npm run build/);
    expect(run).toMatch(/npm prune --omit=dev --omit=optional/);
    expect(docker.user).toBe('node');
    expect(docker.final.instructions.some((x) => x.op === 'RUN' && /npm (ci|install)/.test(x.args))).toBe(false);
  });

  it('HEALTHCHECK probes the health path on PORT; ports exposed; SIGTERM', () => {
    expect(docker.healthcheck).toContain(prod.healthcheck.path);
    expect(docker.healthcheck).toMatch(/process\.env\.PORT/);
    expect(docker.expose).toEqual(expect.arrayContaining([prod.env.PORT, prod.env.METRICS_PORT]));
    expect(docker.stopsignal ?? 'SIGTERM').toBe('SIGTERM');
  });

  it('parses ENV in both forms', () => {
    expect(parseEnvArgs('A=1 B="two words" C=\'x\'')).toEqual({ A: '1', B: 'two words', C: 'x' });
    expect(parseEnvArgs('LEGACY some value')).toEqual({ LEGACY: 'some value' });
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
    expect(read('prometheus/prometheus.yml')).toMatch(new RegExp(`- app:${prod.env.METRICS_PORT}\\b`));
    expect(read('grafana/provisioning/datasources/prometheus.yml')).toMatch(/url: http:\/\/prometheus:9090/);
  });
});

describe('the minimal parsers', () => {
  it('YAML: nested maps, sequences (also at the key’s indentation), flow lists, quotes, comments', () => {
    expect(parseYaml('a:\n  b: "x # y" # c\n  l:\n  - 1\n  - k: v\n    k2: w\n  f: ["p", q, ""]\nz: \'it\'\'s\'\n')).toEqual({
      a: { b: 'x # y', l: ['1', { k: 'v', k2: 'w' }], f: ['p', 'q', ''] },
      z: "it's",
    });
    expect(() => parseYaml('a: &anchor x')).toThrow(/unsupported/);
  });
  it('TOML: tables, arrays of tables, arrays, numbers, booleans, comments', () => {
    expect(parseToml('a = 1 # c\n[t]\n  s = "x#y"\n[t.u]\n  b = true\n[[t.c]]\n  p = ["a", "b"]\n[[t.c]]\n  p = []\n')).toEqual({
      a: 1,
      t: { s: 'x#y', u: { b: true }, c: [{ p: ['a', 'b'] }, { p: [] }] },
    });
    expect(() => parseToml('x = { a = 1 }')).toThrow(/unsupported/);
  });
});

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { connectClient, waitFor, type TrackedClient } from './support/clients.js';
import { startTopology, type Topology } from './support/topology.js';

let app: Topology | undefined;
let client: TrackedClient | undefined;

afterEach(async () => {
  client?.close();
  await app?.stop();
  app = client = undefined;
});

interface Loaded {
  pid: number;
  worker: boolean;
  urls: string[];
}

/** The npm packages among `urls` whose name matches `pattern`. */
const packages = (urls: readonly string[], pattern: RegExp): string[] =>
  [...new Set(urls.flatMap((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? []))].filter((p) => pattern.test(p)).sort();

describe('process modules: each process of the production command loads only what its configuration uses', () => {
  it('without OTEL_EXPORTER_OTLP_ENDPOINT no process loads the OpenTelemetry SDK, and without REDIS_URL none loads node-redis', async () => {
    // Measured 2026-12-07: the SDK costs each process ~40 MiB and ~0.4 s of loading, node-redis
    // the primary ~28 MiB and ~0.2 s (~650 modules).
    const dir = mkdtempSync(path.join(tmpdir(), 'modules-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const recorder = pathToFileURL(path.join(import.meta.dirname, 'support/module-recorder.ts')).href;
    app = await startTopology({ WEB_CONCURRENCY: '2', POLL_INTERVAL_MS: '1000', NODE_OPTIONS: `--import=${recorder}`, MODULES_DIR: dir });
    // A session and its updates: the modules a served client needs are loaded too.
    client = connectClient(app.base, { transports: ['polling'] });
    await waitFor(() => client!.snapshots > 0 && client!.deltas > 0, 20_000, 'a snapshot and a delta');
    client.close();
    client = undefined;
    expect(await app.stop()).toBe(0);
    app = undefined;

    const processes = readdirSync(dir).map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Loaded);
    const workers = processes.filter((p) => p.worker);
    expect(workers).toHaveLength(2);
    expect(processes.filter((p) => !p.worker)).toHaveLength(1);
    const who = (p: Loaded) => `${p.worker ? 'worker' : 'primary'} ${p.pid}`;
    for (const w of workers) expect(packages(w.urls, /^(@nestjs\/core|socket\.io)$/), who(w)).toEqual(['@nestjs/core', 'socket.io']);
    for (const p of processes) {
      // The recorder saw this process's modules, so the empty lists below mean something.
      expect(p.urls.some((u) => u.endsWith('/dist/main.js')), who(p)).toBe(true);
      expect(packages(p.urls, /^(prom-client|zod)$/), who(p)).toEqual(['prom-client', 'zod']);
      // The OpenTelemetry API is the no-op tracer the code calls; nothing else of OpenTelemetry loads.
      expect(packages(p.urls, /^@opentelemetry\//), who(p)).toEqual(['@opentelemetry/api']);
      expect(packages(p.urls, /^(redis|@redis\/.*)$/), who(p)).toEqual([]);
    }
  });
});

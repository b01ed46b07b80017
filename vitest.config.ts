import swc from 'unplugin-swc';
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Specs that run in-process only: no child process that takes a core for long (a promtool or
 * `node --check` run of a second at most), no wall-clock bound that load could break. They
 * share workers (isolate: false) and run two at a time, before anything else starts.
 */
const IN_PROCESS = [
  'src/**/*.spec.ts',
  'bench/recycling/*.spec.ts',
  'bench/capacity/{receipts,report,steady,proc-stats}.spec.ts',
  'test/deploy/{verdict,parity,counting-proxy,harness-units}.spec.ts',
  'test/loadtest/{codec,session-unit,support,session-polling}.spec.ts',
  'test/observability/{metrics-docs,prometheus-rules,dashboards}.spec.ts',
  'test/codebase/*.spec.ts',
];

// SWC keeps Nest's decorator metadata (emitDecoratorMetadata) for specs that boot modules
// in-process; integration specs under test/ run the built dist/ in real child processes.
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: '.test-results/vitest.json' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: IN_PROCESS,
          // One worker per core, reused across files: no process start and no module graph
          // load per file (each spec cleans up its own timers, servers and mocks).
          pool: 'threads',
          isolate: false,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['src/**/*.spec.ts', 'test/**/*.spec.ts', 'bench/**/*.spec.ts'],
          exclude: [...configDefaults.exclude, ...IN_PROCESS],
          // Integration specs spawn whole topologies (primary + workers + clients + Prometheus or
          // Chromium) and some assert reconnect times: one spec file at a time on a 2-core box,
          // each in its own process, after the in-process specs are done.
          pool: 'forks',
          fileParallelism: false,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});

import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// SWC keeps Nest's decorator metadata (emitDecoratorMetadata) for specs that boot modules
// in-process; integration specs under test/ run the built dist/ in real child processes.
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts', 'bench/**/*.spec.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration specs spawn whole topologies (primary + workers + clients + Prometheus or
    // Chromium) and some assert reconnect times: one spec file at a time on a 2-core box.
    fileParallelism: false,
    reporters: ['default', 'json'],
    outputFile: { json: '.test-results/vitest.json' },
  },
});

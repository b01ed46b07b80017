import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// SWC keeps Nest's decorator metadata (emitDecoratorMetadata) for specs that boot modules
// in-process; integration specs under test/ run the built dist/ in real child processes.
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration specs spawn whole topologies; two at once is what a 2-core CI box holds.
    maxWorkers: 2,
    reporters: ['default', 'json'],
    outputFile: { json: '.test-results/vitest.json' },
  },
});

import { register } from 'node:module';

/**
 * The ESM import hook of OpenTelemetry's instrumentations, for `node:http` and `node:https`
 * only (other modules load untouched): an ES module that imports `node:http` then gets the
 * instrumented exports. main.ts imports this first when OTEL_EXPORTER_OTLP_ENDPOINT is set;
 * `node --import ./dist/telemetry/register.js dist/main.js` does the same from the command line.
 */
register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, { data: { include: ['http', 'https'] } });

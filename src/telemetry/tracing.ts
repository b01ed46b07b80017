import type { IncomingMessage } from 'node:http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { RedactUrls } from './redact-urls.js';
import { installTracing, TRACING_OFF, type Tracing } from './tracing-control.js';

export interface TracingOptions {
  /** OTLP/HTTP base URL (OTEL_EXPORTER_OTLP_ENDPOINT); tracing is off without it. */
  endpoint?: string;
  serviceName: string;
  /** Resource attribute `transit.role`: primary or worker. */
  role: 'primary' | 'worker';
  /** Resource attribute `transit.worker`: the worker's index (workers only). */
  workerId?: number;
  /** Resource attribute `service.version` (package version). */
  version?: string;
  /** Replaces the OTLP exporter (tests pass an in-memory one). */
  spanProcessors?: SpanProcessor[];
}

/** Spans wait at most this long in a process before they are exported. */
export const EXPORT_DELAY_MS = 5_000;

/**
 * Starts OpenTelemetry's Node SDK before Nest and the feeds load, exporting spans by OTLP/HTTP.
 * Spans come from the official instrumentations where they work under ESM, and from this code
 * where no instrumentation knows the meaning:
 *
 * - `@opentelemetry/instrumentation-http`: a SERVER span per HTTP request a worker serves
 *   (Engine.IO polls and upgrades, /api, /healthz; the primary's /metrics is left out) and a
 *   CLIENT span per `http.request` (worker-to-worker forwarding), with `traceparent` carried.
 *   It patches `node:http` when CommonJS code (Express, Nest) requires it; for ES modules that
 *   import it, `register.ts` installs the import hook (main.ts loads it first when tracing is on).
 * - `@opentelemetry/instrumentation-undici`: a CLIENT span per `fetch()` (the upstream feed),
 *   from undici's diagnostics channels, so ESM needs no hook.
 * - `spans.ts` / the gateway: `upstream.poll` (parent of the fetch's span), `socket.io connect`,
 *   `socket.io subscribe`.
 *
 * URLs lose their query string on every span (`RedactUrls`): upstream URLs carry the API key,
 * Engine.IO URLs the session id. Off (a no-op tracer) when no endpoint is configured. The
 * pipeline it starts is the one `tracing-control.ts` flushes and stops on every exit path.
 */
export function startTracing(opts: TracingOptions): Tracing {
  if (!opts.endpoint && !opts.spanProcessors) return TRACING_OFF;
  const exporters = opts.spanProcessors ?? [
    new BatchSpanProcessor({
      exporter: new OTLPTraceExporter({ url: `${opts.endpoint!.replace(/\/$/, '')}/v1/traces` }),
      scheduledDelayMillis: EXPORT_DELAY_MS,
    }),
  ];
  const sdk = new NodeSDK({
    serviceName: opts.serviceName,
    resource: resourceFromAttributes({
      'transit.role': opts.role,
      ...(opts.workerId !== undefined ? { 'transit.worker': opts.workerId } : {}),
      ...(opts.version ? { [ATTR_SERVICE_VERSION]: opts.version } : {}),
    }),
    spanProcessors: [new RedactUrls(), ...exporters],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => (req.url ?? '').startsWith('/metrics'),
        requestHook: (span, req) => {
          if ('headers' in req && 'url' in req && typeof (req as IncomingMessage).url === 'string') {
            span.updateName(serverSpanName(req as IncomingMessage));
          }
        },
      }),
      new UndiciInstrumentation(),
    ],
  });
  sdk.start();
  return installTracing({
    enabled: true,
    flush: async () => {
      await Promise.all(exporters.map((p) => p.forceFlush()));
    },
    shutdown: () => sdk.shutdown(),
  });
}

/** `GET /socket.io/`, `GET /api/vehicles`: method and path, no query, one name for every Engine.IO request. */
export function serverSpanName(req: { method?: string; url?: string }): string {
  const path = (req.url ?? '/').split('?')[0]!;
  return `${req.method ?? 'GET'} ${path.startsWith('/socket.io/') ? '/socket.io/' : path}`;
}

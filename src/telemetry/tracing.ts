import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';

/** A started tracing pipeline; `shutdown` flushes what is buffered. */
export interface Tracing {
  enabled: boolean;
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** OTLP/HTTP base URL (OTEL_EXPORTER_OTLP_ENDPOINT); tracing is off without it. */
  endpoint?: string;
  serviceName: string;
  /** Resource attribute `transit.role`: primary or worker. */
  role: 'primary' | 'worker';
  /** Replaces the OTLP exporter (tests pass an in-memory one). */
  spanProcessors?: SpanProcessor[];
}

/**
 * Starts OpenTelemetry's Node SDK before Nest, exporting spans by OTLP/HTTP. Spans are
 * made by this code itself (HTTP server spans in `http-spans.ts`, Socket.IO and upstream
 * spans where they happen) rather than by monkey-patching, which ESM imports of
 * `node:http` would escape. Off (a no-op tracer) when no endpoint is configured.
 */
export function startTracing(opts: TracingOptions): Tracing {
  if (!opts.endpoint && !opts.spanProcessors) return { enabled: false, shutdown: async () => undefined };
  const processors = opts.spanProcessors ?? [
    new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${opts.endpoint!.replace(/\/$/, '')}/v1/traces` }) }),
  ];
  const sdk = new NodeSDK({
    serviceName: opts.serviceName,
    spanProcessors: processors,
    instrumentations: [],
  });
  sdk.start();
  return { enabled: true, shutdown: () => sdk.shutdown() };
}

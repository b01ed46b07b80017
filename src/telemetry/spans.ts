import { SpanStatusCode, trace } from '@opentelemetry/api';

const tracer = trace.getTracer('transit-tracker');

/**
 * Runs one upstream call inside an `upstream.poll` span with the feed, the outcome and
 * the vehicle count. A no-op tracer (tracing off) makes this a plain call.
 */
export async function traceUpstreamCall<T>(feed: string, run: () => Promise<T>): Promise<T> {
  return tracer.startActiveSpan('upstream.poll', { attributes: { 'transit.feed': feed } }, async (span) => {
    try {
      const result = await run();
      span.setAttribute('transit.outcome', 'ok');
      if (typeof result === 'number') span.setAttribute('transit.vehicles', result);
      return result;
    } catch (error) {
      const failure = (error as { failure?: string }).failure ?? 'unknown';
      span.setAttribute('transit.outcome', failure);
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}

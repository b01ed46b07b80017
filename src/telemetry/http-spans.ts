import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

const tracer = trace.getTracer('transit-tracker');

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Wraps every `request` listener of `server` (install it last, outside Engine.IO and the
 * session guard) in a SERVER span per request, continuing a caller's `traceparent`.
 * The span ends when the response finishes or the connection closes.
 */
export function traceHttpServer(server: Server, attributes: Record<string, string | number> = {}): void {
  const inner = server.listeners('request') as Listener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const path = (req.url ?? '/').split('?')[0]!;
    const span = tracer.startSpan(
      `${req.method ?? 'GET'} ${path.startsWith('/socket.io/') ? '/socket.io/' : path}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? 'GET', 'url.path': path, ...attributes } },
      parent,
    );
    const end = () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    };
    res.once('finish', end);
    res.once('close', () => {
      if (!res.writableFinished) end();
    });
    context.with(trace.setSpan(parent, span), () => {
      for (const l of inner) l.call(server, req, res);
    });
  });
}

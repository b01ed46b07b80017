import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';

/** Span attributes that hold a URL or a request target (old and stable HTTP conventions). */
const URL_ATTRIBUTES = ['url.full', 'http.url', 'http.target'];

/** `https://h/p?api_key=x` → `https://h/p?[redacted]`; a URL without a query is kept. */
export function withoutQuery(value: string): string {
  const i = value.indexOf('?');
  return i === -1 ? value : `${value.slice(0, i)}?[redacted]`;
}

/**
 * Removes query strings from the URL attributes of every span as it starts, before any
 * exporter sees it: the upstream URL carries the API key (511.org's `api_key`), Engine.IO's
 * the session id, which would let a reader of the traces take over a polling session.
 */
export class RedactUrls implements SpanProcessor {
  onStart(span: Span, _parent: Context): void {
    const attributes = (span as unknown as ReadableSpan).attributes;
    for (const key of URL_ATTRIBUTES) {
      const v = attributes[key];
      if (typeof v === 'string' && v.includes('?')) span.setAttribute(key, withoutQuery(v));
    }
    if (typeof attributes['url.query'] === 'string' && attributes['url.query'] !== '') span.setAttribute('url.query', '[redacted]');
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

import { trace } from '@opentelemetry/api';
import { pino, type Logger } from 'pino';
import type { Config } from '../config/config.js';

export type { Logger } from 'pino';

/**
 * The one logger factory. JSON lines in production (`LOG_FORMAT=json`), colourised lines
 * in a terminal (`LOG_FORMAT=pretty`). Every line carries the process role and worker id,
 * and the active trace id when a span is recording.
 */
export function createLogger(config: Pick<Config, 'LOG_LEVEL' | 'LOG_FORMAT'>, bindings: { role: 'primary' | 'worker'; worker?: number }): Logger {
  return pino({
    level: config.LOG_LEVEL,
    base: { pid: process.pid, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin() {
      const ctx = trace.getActiveSpan()?.spanContext();
      return ctx ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
    },
    transport:
      config.LOG_FORMAT === 'pretty'
        ? { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } }
        : undefined,
  });
}

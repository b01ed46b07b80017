/**
 * Flushing and stopping this process's tracing, without OpenTelemetry's SDK: the exit paths of
 * the primary and the workers import this, and `tracing.ts` (the SDK, its exporter and its
 * instrumentations: ~40 MiB and ~0.4 s of module loading per process) is imported only when
 * tracing is on (main.ts, OTEL_EXPORTER_OTLP_ENDPOINT). Until `tracing.ts` installs a pipeline,
 * both calls have nothing to do.
 */

/** A started tracing pipeline. */
export interface Tracing {
  enabled: boolean;
  /** Exports what is buffered now. */
  flush(): Promise<void>;
  /** Exports what is buffered, then stops; later spans are dropped. */
  shutdown(): Promise<void>;
}

export const TRACING_OFF: Tracing = { enabled: false, flush: async () => undefined, shutdown: async () => undefined };
let current: Tracing = TRACING_OFF;

/** Makes `tracing` the pipeline the exit paths flush and stop (tracing.ts, when it starts the SDK). */
export function installTracing(tracing: Tracing): Tracing {
  current = tracing;
  return tracing;
}

/** Exports this process's buffered spans, waiting at most `timeoutMs`; never rejects. */
export function flushTracing(timeoutMs: number): Promise<void> {
  return bounded(current.flush(), timeoutMs);
}

/**
 * Exports what is buffered and stops tracing, waiting at most `timeoutMs`; never rejects.
 * Every exit path calls it before `process.exit()`, which skips `beforeExit`.
 */
export function stopTracing(timeoutMs: number): Promise<void> {
  const t = current;
  current = TRACING_OFF;
  return bounded(t.shutdown(), timeoutMs);
}

function bounded(work: Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
    timer.unref();
  });
  return Promise.race([work.catch(() => undefined), deadline]).finally(() => clearTimeout(timer));
}

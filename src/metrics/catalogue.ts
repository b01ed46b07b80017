import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { METRIC_DEFINITIONS, type MetricDefinition } from './metric-definitions.js';

function definition(name: string): MetricDefinition {
  const def = METRIC_DEFINITIONS.find((d) => d.name === name);
  if (!def) throw new Error(`metric ${name} is not in METRIC_DEFINITIONS (src/metrics/metric-definitions.ts)`);
  return def;
}

function common(name: string, registry: Registry) {
  const def = definition(name);
  return { name, help: def.help, labelNames: [...def.labelNames], aggregator: def.aggregator, registers: [registry] } as const;
}

/** A counter exactly as the catalogue defines it. */
export function counter<L extends string = string>(name: string, registry: Registry): Counter<L> {
  return new Counter<L>(common(name, registry) as never);
}

/** A gauge as the catalogue defines it; `collect` computes it at scrape time from live state. */
export function gauge<L extends string = string>(name: string, registry: Registry, collect?: (g: Gauge<L>) => void): Gauge<L> {
  return new Gauge<L>({
    ...(common(name, registry) as object),
    ...(collect ? { collect(this: Gauge<L>) { collect(this); } } : {}),
  } as never);
}

/** A histogram with the catalogue's named buckets. */
export function histogram<L extends string = string>(name: string, registry: Registry): Histogram<L> {
  const def = definition(name);
  return new Histogram<L>({ ...(common(name, registry) as object), buckets: [...(def.buckets ?? [])] } as never);
}

/** Sets every listed label combination to 0 so `rate()` sees the first event. */
export function zero<L extends string>(c: Counter<L>, label: L, values: readonly string[]): void {
  for (const v of values) c.inc({ [label]: v } as never, 0);
}

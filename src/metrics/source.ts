/**
 * What one process answers on `/metrics`: the process registry (./registry.ts: counters and
 * histograms the code updates as it runs, `process_*`, `nodejs_*`) followed by this source's own
 * gauges, computed when scraped (volumes by status from the database, the scheduler's pools).
 */
import { Counter, Registry } from 'prom-client';
import { enableProcessMetrics, processRegistry } from './registry.js';

/** Registers gauges (with `collect` functions) into a source's registry. */
export type ScrapeCollector = (registry: Registry, failed: (collector: string) => void) => void;

/** The text exposition format (version 0.0.4) prom-client writes. */
export const METRICS_CONTENT_TYPE = processRegistry.contentType;

export class MetricsSource {
  readonly #scraped = new Registry();
  readonly #failures: Counter<'collector'>;

  /** @param collectors the gauges this process adds to the process registry's metrics */
  constructor(collectors: readonly ScrapeCollector[] = []) {
    enableProcessMetrics();
    this.#failures = new Counter({
      name: 'kindling_metrics_collector_failures_total',
      help: 'Scrapes where a collector could not read its source (database, scheduler), by collector; its gauges were left empty.',
      labelNames: ['collector'] as const,
      registers: [this.#scraped],
    });
    for (const c of collectors) c(this.#scraped, (collector) => this.#failures.inc({ collector }));
  }

  /** The exposition text: every metric of the process, then this source's gauges. */
  async text(): Promise<string> {
    const [process, scraped] = await Promise.all([processRegistry.metrics(), this.#scraped.metrics()]);
    return `${process}\n${scraped}`;
  }
}

/**
 * Prometheus metrics (docs/operations.md#metrics): the process registry and its instruments
 * (./registry.ts), the sources a process answers scrapes from (./source.ts) with their scrape-time
 * gauges (./database-gauges.ts, ./pool-gauges.ts), and the separate listener (./server.ts).
 */
import type { Config } from '../config/index.js';
import { MetricsSource, type ScrapeCollector } from './source.js';

export { databaseGauges } from './database-gauges.js';
export { poolGauges, type PoolReport } from './pool-gauges.js';
export { startMetricsListener, type MetricsListener } from './server.js';
export { MetricsSource, METRICS_CONTENT_TYPE, type ScrapeCollector } from './source.js';

/** The source a process exposes, with its own gauges; null when `[metrics] enabled = false`. */
export function metricsSource(
  config: Config,
  collectors: readonly ScrapeCollector[] = [],
): MetricsSource | null {
  return config.metrics.enabled ? new MetricsSource(collectors) : null;
}

/** What the API serves on its own port: the source, unless a separate `[metrics] port` serves it. */
export function onApiPort(config: Config, source: MetricsSource | null): MetricsSource | null {
  return config.metrics.port === null ? source : null;
}

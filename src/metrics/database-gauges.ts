/**
 * Gauges read from the database when scraped (one `GROUP BY` each, on non-deleted rows): volumes by
 * status and backend, snapshots and backups by status, open quota reservations. Only the API's
 * process (or `kindling serve`) adds them, so a deployment exposes each once.
 */
import { Gauge, type LabelValues, type Registry } from 'prom-client';
import type { Kysely } from 'kysely';
import {
  countsByStatus,
  openReservationCount,
  volumeCountsByStatusAndHost,
} from '../db/api/resource-counts.js';
import type { Database } from '../db/schema.js';
import type { ScrapeCollector } from './source.js';

/** The backend of a volume's `host@backend#pool` (empty while it has no host: not scheduled yet). */
export function backendOfHost(host: string | null): string {
  if (!host) return '';
  const at = host.indexOf('@');
  const backend = at < 0 ? host : host.slice(at + 1);
  const hash = backend.indexOf('#');
  return hash < 0 ? backend : backend.slice(0, hash);
}

/** A gauge whose value set is replaced at each scrape by `read()`'s rows. */
function scrapedGauge<L extends string>(
  registry: Registry,
  failed: (collector: string) => void,
  name: string,
  help: string,
  labelNames: readonly L[],
  read: () => Promise<{ labels: Record<L, string>; value: number }[]>,
): void {
  new Gauge<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      this.reset();
      let rows;
      try {
        rows = await read();
      } catch {
        failed(name);
        return;
      }
      for (const r of rows) this.inc(r.labels as LabelValues<L>, r.value);
    },
  });
}

export function databaseGauges(db: Kysely<Database>): ScrapeCollector {
  return (registry, failed) => {
    const countBy = (table: 'snapshots' | 'backups') => async () =>
      (await countsByStatus(db, table)).map((r) => ({ labels: { status: r.status }, value: r.count }));
    scrapedGauge(
      registry,
      failed,
      'kindling_volumes',
      'Volumes (not deleted) by status and backend (the backend of their host; empty: not scheduled yet).',
      ['status', 'backend'],
      async () =>
        (await volumeCountsByStatusAndHost(db)).map((r) => ({
          labels: { status: r.status, backend: backendOfHost(r.host) },
          value: r.count,
        })),
    );
    scrapedGauge(
      registry,
      failed,
      'kindling_snapshots',
      'Snapshots (not deleted) by status.',
      ['status'],
      countBy('snapshots'),
    );
    scrapedGauge(
      registry,
      failed,
      'kindling_backups',
      'Backups (not deleted) by status.',
      ['status'],
      countBy('backups'),
    );
    scrapedGauge(
      registry,
      failed,
      'kindling_quota_reservations_open',
      'Quota reservations neither committed nor rolled back yet (expired ones are released by the scheduler).',
      [],
      async () => [{ labels: {}, value: await openReservationCount(db) }],
    );
  };
}

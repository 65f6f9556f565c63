/**
 * Pool capacity gauges, from the latest capability reports of the volume services as the
 * scheduler's host manager holds them (`kindling serve`: in its process; distributed: the
 * scheduler process exposes them). In bytes, as Prometheus wants base units; Cinder's GiB × 2³⁰.
 */
import { Gauge } from 'prom-client';
import type { ScrapeCollector } from './source.js';

/** One pool as get_pools lists it: `host@backend#pool` and its capabilities. */
export interface PoolReport {
  readonly name: string;
  readonly capabilities: Readonly<Record<string, unknown>>;
}

const GiB = 2 ** 30;

/** A capacity in GiB as a driver reports it: a number, `infinite`, or nothing usable. */
function bytes(value: unknown): number | undefined {
  if (typeof value === 'string' && value.toLowerCase() === 'infinite') return Infinity;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) ? n * GiB : undefined;
}

const GAUGES = [
  [
    'kindling_pool_capacity_bytes',
    'total_capacity_gb',
    'Total capacity of a pool, as its volume service reports it.',
  ],
  [
    'kindling_pool_free_bytes',
    'free_capacity_gb',
    'Free capacity of a pool, as its volume service reports it.',
  ],
  [
    'kindling_pool_allocated_bytes',
    'allocated_capacity_gb',
    'Capacity of the volumes Kindling placed on a pool (their sizes).',
  ],
  [
    'kindling_pool_provisioned_bytes',
    'provisioned_capacity_gb',
    'Provisioned capacity of a pool (thin provisioning: what its volumes may grow to).',
  ],
] as const;

/** @param pools the pools now (the host manager's `getPools`); read once per scrape */
export function poolGauges(pools: () => Promise<readonly PoolReport[]>): ScrapeCollector {
  return (registry, failed) => {
    // NOTE: the four gauges are collected side by side; they share one read per scrape.
    let current: { at: number; read: Promise<readonly PoolReport[]> } | undefined;
    const latest = () => {
      if (!current || Date.now() - current.at > 1000) current = { at: Date.now(), read: pools() };
      return current.read;
    };
    for (const [name, capability, help] of GAUGES)
      new Gauge({
        name,
        help: `${help} Labels: pool (host@backend#pool), backend (volume_backend_name).`,
        labelNames: ['pool', 'backend'] as const,
        registers: [registry],
        async collect() {
          this.reset();
          let list;
          try {
            list = await latest();
          } catch {
            if (capability === 'total_capacity_gb') failed('pools');
            return;
          }
          for (const p of list) {
            const value = bytes(p.capabilities[capability]);
            if (value === undefined) continue;
            const backend = p.capabilities.volume_backend_name;
            this.set({ pool: p.name, backend: typeof backend === 'string' ? backend : '' }, value);
          }
        },
      });
  };
}

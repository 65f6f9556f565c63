/** `/scheduler-stats/get_pools` view (Cinder's `api/views/scheduler_stats.py`). */

/** A pool as the scheduler reports it. */
export interface PoolEntry {
  name: string;
  capabilities?: Record<string, unknown> | null;
}

/**
 * `{pools: [{name}]}`, or with `detail` `{pools: [{name, capabilities}]}`; a `storage_protocol`
 * kept internally as its list of spellings is shown as the first (preferred) one.
 */
export function poolsView(pools: readonly PoolEntry[], detail: boolean): Record<string, unknown> {
  if (!detail) return { pools: pools.map((p) => ({ name: p.name })) };
  return {
    pools: pools.map((p) => {
      let capabilities = p.capabilities ?? null;
      const protocol = capabilities?.storage_protocol;
      if (capabilities && Array.isArray(protocol))
        capabilities = { ...capabilities, storage_protocol: protocol[0] };
      return { name: p.name, capabilities };
    }),
  };
}

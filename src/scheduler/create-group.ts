/**
 * Placing a group (Cinder's `FilterScheduler.schedule_create_group`): the group goes to the best
 * pool that every one of its volume types may use, in the group's availability zone; its volumes
 * will all live there. No such pool: the group ends in `error`. Then the pool's volume service
 * is told to create the group.
 */
import type { CoreDeps } from '../common/deps.js';
import { groupConditionalUpdate, groupGet } from '../db/api/groups.js';
import { volumeTypeGet } from '../db/api/volume-types.js';
import type { FilterScheduler } from './filter-scheduler.js';
import type { PoolState } from './pool-state.js';
import type { RequestSpec } from './types.js';
import { GroupRPCAPI } from '../group/rpcapi.js';
import type { RpcHandlers } from '../rpc/methods.js';
import type { GroupScheduleArgs, SchedulerRpcMethods } from './rpcapi.js';

/** The pool for a group, or null when no pool takes all of its volume types. */
export async function placeGroup(
  scheduler: FilterScheduler,
  deps: CoreDeps,
  args: GroupScheduleArgs & { project_id: string | null },
): Promise<PoolState | null> {
  let common: PoolState[] | null = null;
  for (const typeId of args.volume_type_ids) {
    const t = await volumeTypeGet(deps.dbh.db, typeId, true);
    const spec: RequestSpec = {
      volume_id: '',
      group_id: args.group_id,
      volume_properties: {
        size: 0,
        availability_zone: args.availability_zone,
        volume_type_id: typeId,
        project_id: args.project_id,
      },
      volume_type: t ? { id: t.id, name: t.name, extra_specs: t.extra_specs } : null,
      availability_zones: args.availability_zone ? [args.availability_zone] : null,
    };
    const pools = await scheduler.weighedCandidates(spec, {});
    const ids = new Set(pools.map((p) => p.backend_id));
    // NOTE: the first type's order (best first) decides among the pools all types accept.
    common = common === null ? pools : common.filter((p) => ids.has(p.backend_id));
  }
  return common?.[0] ?? null;
}

/** The scheduler's `create_group` endpoint. */
export function groupSchedulerEndpoints(
  deps: CoreDeps,
  scheduler: FilterScheduler,
): RpcHandlers<SchedulerRpcMethods, 'create_group'> {
  const rpc = new GroupRPCAPI(deps.transport);
  return {
    create_group: async (ctx, args) => {
      const group = await groupGet(deps.dbh.db, args.group_id);
      // NOTE: a redelivered request for a group already placed (or gone) has nothing left to do.
      if (!group || group.status !== 'creating' || group.host) return;
      const pool = await placeGroup(scheduler, deps, { ...args, project_id: group.project_id });
      if (!pool) {
        deps.log.warn({ group_id: group.id }, 'No valid backend for group: it goes to error');
        await groupConditionalUpdate(deps.dbh.db, group.id, { status: 'error' }, { status: ['creating'] });
        await deps.notifier.notify(
          `scheduler.${deps.config.DEFAULT.host}`,
          'scheduler.create_group',
          { group_id: group.id, state: 'error', reason: 'No valid backend was found.' },
          'ERROR',
        );
        return;
      }
      const placed = await groupConditionalUpdate(
        deps.dbh.db,
        group.id,
        { host: pool.host, cluster_name: pool.cluster_name },
        { status: ['creating'], host: [null] },
      );
      if (placed) await rpc.createGroup(ctx, { host: pool.host, cluster_name: pool.cluster_name }, group.id);
    },
  };
}

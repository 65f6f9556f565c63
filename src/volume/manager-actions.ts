/**
 * The volume actions' RPC methods on a volume service (Cinder's `volume/manager.py`
 * `extend_volume`, `revert_to_snapshot`, `retype`, `migrate_volume`, plus Kindling's
 * `create_migration_target` on a migration's target). The VolumeManager adds these to its
 * endpoint; the work itself is in `actions/manager/`. Work on a volume holds its `<id>-volume_op`
 * lock, as the manager's creates and deletes do, so a redelivery or a peer never overlaps it.
 */
import type { RequestContext } from '../common/context.js';
import { withVolumeLock, type ActionBackend } from './actions/manager/backend.js';
import { extendOnBackend } from './actions/manager/extend.js';
import { migrateOnBackend } from './actions/manager/migrate.js';
import { createMigrationTarget } from './actions/manager/migration-target.js';
import { retypeOnBackend } from './actions/manager/retype.js';
import { revertOnBackend } from './actions/manager/revert.js';
import type { ExtendVolumeArgs, MigrateVolumeArgs, MigrationTargetArgs, RetypeArgs } from './rpcapi.js';

export type { ActionBackend } from './actions/manager/backend.js';

type Args = Record<string, unknown>;

/** The endpoint entries of the volume actions for the service `b`. */
export function volumeActionEndpoints(b: ActionBackend) {
  return {
    extend_volume: (ctx: RequestContext, a: Args) =>
      withVolumeLock(b, a.volume_id as string, () =>
        extendOnBackend(b, ctx, a as unknown as ExtendVolumeArgs),
      ),
    revert_to_snapshot: (ctx: RequestContext, a: Args) =>
      withVolumeLock(b, a.volume_id as string, () =>
        revertOnBackend(b, ctx, a as { volume_id: string; snapshot_id: string }),
      ),
    retype: (ctx: RequestContext, a: Args) =>
      withVolumeLock(b, a.volume_id as string, () => retypeOnBackend(b, ctx, a as unknown as RetypeArgs)),
    migrate_volume: (ctx: RequestContext, a: Args) => {
      const m = a as unknown as MigrateVolumeArgs;
      return withVolumeLock(b, m.volume_id, () =>
        migrateOnBackend(b, ctx, { volumeId: m.volume_id, target: m.host }).then(() => undefined),
      );
    },
    // NOTE: no volume lock here: the source's service holds it while it waits for this call.
    create_migration_target: (ctx: RequestContext, a: Args) =>
      createMigrationTarget(b, ctx, a as unknown as MigrationTargetArgs),
  };
}

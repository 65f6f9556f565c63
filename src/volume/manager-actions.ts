/**
 * The volume actions' RPC methods on a volume service (Cinder's `volume/manager.py`
 * `extend_volume`, `revert_to_snapshot`, `retype`, `migrate_volume`, `copy_volume_to_image`,
 * `reimage`, plus Kindling's
 * `create_migration_target` on a migration's target). The VolumeManager adds these to its
 * endpoint; the work itself is in `actions/manager/`. Work on a volume holds its `<id>-volume_op`
 * lock, as the manager's creates and deletes do, so a redelivery or a peer never overlaps it.
 */
import type { RpcHandlers } from '../rpc/methods.js';
import { withVolumeLock, type ActionBackend } from './actions/manager/backend.js';
import { extendOnBackend } from './actions/manager/extend.js';
import { migrateOnBackend } from './actions/manager/migrate.js';
import { createMigrationTarget } from './actions/manager/migration-target.js';
import { retypeOnBackend } from './actions/manager/retype.js';
import { revertOnBackend } from './actions/manager/revert.js';
import { copyVolumeToImageOnBackend } from './actions/manager/upload-to-image.js';
import { reimageOnBackend } from './actions/manager/reimage.js';
import { imageConversionOptions, imageServiceFromConfig } from '../image/image-service.js';
import type { VolumeRpcMethods } from './rpcapi.js';

export type { ActionBackend } from './actions/manager/backend.js';

/** The endpoint entries of the volume actions for the service `b`. */
export function volumeActionEndpoints(
  b: ActionBackend,
): RpcHandlers<
  VolumeRpcMethods,
  | 'extend_volume'
  | 'revert_to_snapshot'
  | 'retype'
  | 'migrate_volume'
  | 'copy_volume_to_image'
  | 'reimage'
  | 'create_migration_target'
> {
  // Glance, for uploads and reimages (null when none is configured: they then fail).
  const images = imageServiceFromConfig(b.deps.config, { log: b.deps.log });
  return {
    extend_volume: (ctx, a) => withVolumeLock(b, a.volume_id, () => extendOnBackend(b, ctx, a)),
    revert_to_snapshot: (ctx, a) => withVolumeLock(b, a.volume_id, () => revertOnBackend(b, ctx, a)),
    retype: (ctx, a) => withVolumeLock(b, a.volume_id, () => retypeOnBackend(b, ctx, a)),
    migrate_volume: (ctx, m) =>
      withVolumeLock(b, m.volume_id, () =>
        migrateOnBackend(b, ctx, { volumeId: m.volume_id, target: m.host }).then(() => undefined),
      ),
    copy_volume_to_image: (ctx, a) =>
      withVolumeLock(b, a.volume_id, () => copyVolumeToImageOnBackend(b, images, ctx, a)),
    reimage: (ctx, a) =>
      withVolumeLock(b, a.volume_id, () =>
        reimageOnBackend(b, images, imageConversionOptions(b.deps.config, b.deps.log), ctx, a),
      ),
    // NOTE: no volume lock here: the source's service holds it while it waits for this call.
    create_migration_target: (ctx, a) => createMigrationTarget(b, ctx, a),
  };
}

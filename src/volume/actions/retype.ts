/**
 * `os-retype`, API side (Cinder's `volume/api.py` `retype`): resolves the new type, checks its
 * size limits and multiattach rules, reserves the per-type quota it moves, moves the volume to
 * `retyping` (compare-and-swap) and casts `retype` to the volume's backend. The backend decides
 * whether the type fits where the volume is, or needs a migration.
 */
import type { RequestContext } from '../../common/context.js';
import { elevated } from '../../common/context.js';
import { authorize } from '../../auth/policy.js';
import { InvalidInput, InvalidVolume } from '../../common/errors.js';
import { snapshotsForVolume } from '../../db/api/snapshots.js';
import { volumeTypeEncryptionGet } from '../../db/api/volume-type-encryption.js';
import { volumeConditionalUpdate, type VolumeRecord } from '../../db/api/volumes.js';
import { getVolumeTypeByNameOrId } from '../volume-types.js';
import type { Db } from '../../db/api/common.js';
import { qosSpecsGet } from '../../db/api/qos-specs.js';
import { volumeTypeGet } from '../../db/api/volume-types.js';
import { AVAILABLE_MIGRATION_STATUS, checkTypeSizeLimits, type ActionDeps } from './common.js';
import { reserveRetypeQuota } from './retype-quota.js';

/** `os-retype` `migration_policy`: whether the backend may move the volume to fit the new type. */
export type MigrationPolicy = 'never' | 'on-demand';

/** Cinder's `_is_multiattach`: the type's `multiattach` spec is exactly `<is> True`. */
export function isMultiattachType(extraSpecs: Readonly<Record<string, string>>): boolean {
  return extraSpecs.multiattach === '<is> True';
}

const NOT_RETYPABLE =
  'Retype needs volume to be in available or in-use state, not be part of an active migration or a consistency group, requested type has to be different that the one from the volume, and for in-use volumes front-end qos specs cannot change.';

/**
 * Cinder's `volume_qos_allows_retype` for an in-use volume: both types have the same QoS specs,
 * or neither has specs consumed by anything but the back-end.
 */
async function qosAllowsRetypeInUse(db: Db, fromTypeId: string, toTypeId: string): Promise<boolean> {
  const qosOf = async (typeId: string) => (await volumeTypeGet(db, typeId, true))?.qos_specs_id ?? null;
  const [from, to] = [await qosOf(fromTypeId), await qosOf(toTypeId)];
  if (from === to) return true;
  const frontEnd = async (qosId: string | null) =>
    qosId !== null && ((await qosSpecsGet(db, qosId))?.consumer ?? 'back-end') !== 'back-end';
  return !(await frontEnd(from)) && !(await frontEnd(to));
}

export async function retypeVolume(
  d: ActionDeps,
  ctx: RequestContext,
  v: VolumeRecord,
  newTypeRef: string,
  migrationPolicy: MigrationPolicy | null,
): Promise<void> {
  authorize(ctx, 'volume:retype', v.project_id);
  const db = d.core.dbh.db;
  const newType = await getVolumeTypeByNameOrId(db, elevated(ctx), newTypeRef);
  checkTypeSizeLimits(v.size, newType);

  const toMultiattach = isMultiattachType(newType.extra_specs);
  if (Boolean(v.multiattach) !== toMultiattach) {
    if (v.status !== 'available')
      throw new InvalidInput(
        `Invalid volume_type passed, retypes affecting multiattach are only allowed on available volumes, the specified volume however currently has a status of: ${v.status}.`,
      );
    if (toMultiattach) authorize(ctx, 'volume:multiattach', v.project_id);
  }
  if (toMultiattach && (await volumeTypeEncryptionGet(db, newType.id)))
    throw new InvalidInput('Retype requested both encryption and multi-attach, which is not supported.');

  const snapshots = await snapshotsForVolume(db, v.id);
  const { reservations, oldReservations } = await reserveRetypeQuota(
    d.core,
    { project_id: v.project_id!, size: v.size, snapshotSizes: snapshots.map((s) => s.volume_size) },
    v.volume_type_name,
    newType.name,
  );
  const all = [...reservations, ...oldReservations];

  // NOTE: Cinder's `volume_type_id != new type` condition, checked before the swap (a concurrent
  // retype cannot slip in between: it would have to move the volume out of these statuses).
  // An attached volume keeps its front-end QoS (Cinder's `volume_qos_allows_retype`): only an
  // available one may change it.
  const statuses = (await qosAllowsRetypeInUse(db, v.volume_type_id, newType.id))
    ? ['available', 'in-use']
    : ['available'];
  const swapped =
    v.volume_type_id !== newType.id &&
    (await volumeConditionalUpdate(
      db,
      v.id,
      { status: 'retyping', previous_status: v.status, multiattach: toMultiattach ? 1 : 0 },
      {
        status: statuses,
        migration_status: AVAILABLE_MIGRATION_STATUS,
        consistencygroup_id: [null, ''],
        group_id: [null, ''],
        volume_type_id: [v.volume_type_id],
      },
    ));
  if (!swapped) {
    await d.core.quotas.rollback(all);
    throw new InvalidVolume(NOT_RETYPABLE);
  }
  try {
    await d.rpc.retype(
      ctx,
      { host: v.host!, cluster_name: v.cluster_name },
      {
        volume_id: v.id,
        new_type_id: newType.id,
        migration_policy: migrationPolicy ?? 'never',
        reservations,
        old_reservations: oldReservations,
      },
    );
  } catch (e) {
    await d.core.quotas.rollback(all);
    await volumeConditionalUpdate(
      db,
      v.id,
      { status: v.status, previous_status: v.previous_status, multiattach: v.multiattach },
      { status: ['retyping'] },
    );
    throw e;
  }
}

/**
 * `os-migrate_volume` (admin), API side (Cinder's `volume/api.py` `migrate_volume`): the target
 * must be an up, enabled volume service other than the volume's own; the volume (available or
 * in-use, no snapshots, no group, no replication, not migrating) gets migration status `starting`
 * and `migrate_volume` is cast to its backend, which moves it and reports `migrating` → `success`
 * (or `error`).
 */
import type { RequestContext } from '../../common/context.js';
import { authorize } from '../../auth/policy.js';
import { InvalidHost, InvalidVolume } from '../../common/errors.js';
import { extractHost } from '../../common/host.js';
import { serviceGetAll, serviceIsUp } from '../../db/api/services.js';
import { snapshotCountForVolume } from '../../db/api/snapshots.js';
import { volumeConditionalUpdate, type VolumeRecord } from '../../db/api/volumes.js';
import type { VolumesTable } from '../../db/schema.js';
import { VOLUME_TOPIC } from '../../rpc/transport.js';
import { AVAILABLE_MIGRATION_STATUS, undoSwap, type ActionDeps } from './common.js';

/** Where to, and how (the validated body; exactly one of `host` and `cluster` is set). */
export interface MigrateRequest {
  host: string | null;
  cluster: string | null;
  forceHostCopy: boolean;
  lockVolume: boolean;
}

export async function migrateVolume(
  d: ActionDeps,
  ctx: RequestContext,
  v: VolumeRecord,
  req: MigrateRequest,
): Promise<void> {
  authorize(ctx, 'volume_extension:volume_admin_actions:migrate_volume', v.project_id);
  const db = d.core.dbh.db;
  const svcHost = req.host ? extractHost(req.host, 'backend') : null;
  const svcCluster = req.cluster ? extractHost(req.cluster, 'backend') : null;
  const downTime = d.core.config.DEFAULT.service_down_time;
  const svc = (await serviceGetAll(db, { binary: 'cinder-volume' })).find(
    (s) =>
      s.topic === VOLUME_TOPIC &&
      !s.disabled &&
      serviceIsUp(s, downTime) &&
      (svcHost ? s.host === svcHost : s.cluster_name === svcCluster),
  );
  if (!svc) throw new InvalidHost(`No available service named '${req.cluster ?? req.host}'`);
  // NOTE: a host that is a cluster member means a migration to the cluster, as in Cinder.
  const cluster = svc.cluster_name;

  const refused = `Volume ${v.id} status must be available or in-use, must not be migrating, have snapshots, be replicated, be part of a group and destination host/cluster must be different than the current one`;
  // NOTE: the destination and snapshot conditions are checked before the swap (the swap pins the
  // status, and a snapshot cannot be started once the migration is `starting`).
  const sameDestination = cluster ? v.cluster_name === cluster : v.host === req.host;
  if (
    sameDestination ||
    !['available', 'in-use'].includes(v.status) ||
    (await snapshotCountForVolume(db, v.id)) > 0
  )
    throw new InvalidVolume(refused);
  const updates: Partial<VolumesTable> = { migration_status: 'starting', previous_status: v.status };
  if (req.lockVolume && v.status === 'available') updates.status = 'maintenance';
  const ok = await volumeConditionalUpdate(db, v.id, updates, {
    status: [v.status],
    migration_status: AVAILABLE_MIGRATION_STATUS,
    replication_status: [null, 'disabled', 'not-capable'],
    consistencygroup_id: [null, ''],
    group_id: [null, ''],
  });
  if (!ok) throw new InvalidVolume(refused);
  try {
    await d.rpc.migrateVolume(
      ctx,
      { host: v.host!, cluster_name: v.cluster_name },
      { volume_id: v.id, host: cluster ?? req.host!, force_host_copy: req.forceHostCopy },
    );
  } catch (e) {
    await undoSwap(
      d.core,
      v.id,
      { migration_status: v.migration_status, previous_status: v.previous_status, status: v.status },
      { migration_status: 'starting' },
    );
    throw e;
  }
}

/**
 * What the volume service's own operations (create, delete, the resume of left work, stats, in
 * this directory) borrow from the running service (src/volume/manager.ts), and the helpers they
 * share: the volume's operation lock and Cinder's ownership check, with a clustered takeover.
 */
import type { CoreDeps } from '../../common/deps.js';
import { extractHost, DEFAULT_POOL_NAME } from '../../common/host.js';
import { operationLockName } from '../../coordination/index.js';
import { volumeConditionalUpdate, type VolumeRecord } from '../../db/api/volumes.js';
import type { VolumeDriver } from '../driver.js';
import type { ManagerFlowContext } from '../flows/manager/create-volume.js';
import type { SnapshotManager } from '../snapshot-manager.js';

/** The volume service an operation runs on (one `enabled_backends` entry). */
export interface ManagerBackend {
  readonly deps: CoreDeps;
  /** `host@backend`. */
  readonly host: string;
  /** `cluster@backend`, or null. */
  readonly cluster: string | null;
  readonly driver: VolumeDriver;
  /** create_snapshot / delete_snapshot of this backend. */
  readonly snapshots: SnapshotManager;
  initialized(): boolean;
  /** The id of this service's `services` row (null until it registered). */
  serviceId(): number | null;
  /** What the manager flows share with their tasks, as of now. */
  flowContext(): ManagerFlowContext;
}

/**
 * Runs `fn` while holding the volume's operation lock (`<volume_id>-volume_op`, Cinder's
 * coordination lock), so a redelivered message, a resume and a peer in the cluster never work
 * on one volume at once.
 */
export async function serialized(
  b: ManagerBackend,
  volumeId: string,
  fn: () => Promise<void>,
): Promise<void> {
  await b.deps.coordinator.withLock(operationLockName(volumeId, 'volume_op'), fn);
}

/**
 * Whether this service may work on `v`: it is placed on this backend, or on this service's
 * cluster. A clustered volume another member holds is taken over first (its `host` becomes
 * ours, compare-and-swap so only one member wins), so cleanup and stats see who has it.
 */
export async function takeIfOurs(b: ManagerBackend, v: VolumeRecord): Promise<boolean> {
  if (!v.host) return false;
  if (extractHost(v.host, 'backend') === b.host) return true;
  if (!b.cluster || !v.cluster_name || extractHost(v.cluster_name, 'backend') !== b.cluster) return false;
  const pool = extractHost(v.host, 'pool') ?? DEFAULT_POOL_NAME;
  const taken = await volumeConditionalUpdate(
    b.deps.dbh.db,
    v.id,
    { host: `${b.host}#${pool}` },
    { status: [v.status], host: [v.host] },
  );
  if (taken) b.deps.log.info({ volume_id: v.id, from: v.host, to: b.host }, 'Took over volume');
  return taken;
}

/**
 * `retype` on the volume's backend (Cinder's scheduler `find_retype_backend` and manager
 * `retype`). When the new type fits where the volume is (same specs, or this pool satisfies them),
 * only the type changes: the file driver stores nothing per type. Otherwise the volume must move:
 * with `migration_policy` `never` the retype is refused (volume back to its status, type kept);
 * with `on-demand` it migrates to the roomiest pool that fits the new type and takes the type there.
 * The per-type quota reserved by the API is committed when the type changed, else rolled back.
 */
import type { RequestContext } from '../../../common/context.js';
import { extractHost } from '../../../common/host.js';
import type { Db } from '../../../db/api/common.js';
import { snapshotCountForVolume, snapshotsSetVolumeType } from '../../../db/api/snapshots.js';
import { volumeTypeEncryptionGet } from '../../../db/api/volume-type-encryption.js';
import { volumeTypeGet, type VolumeTypeRecord } from '../../../db/api/volume-types.js';
import { volumeConditionalUpdate, volumeGet, type VolumeRecord } from '../../../db/api/volumes.js';
import { volumeUsagePayload } from '../../../notify/volume-usage.js';
import { PoolState } from '../../../scheduler/backend-state.js';
import { SchedulerRPCAPI } from '../../../scheduler/rpcapi.js';
import type { RetypeArgs } from '../../rpcapi.js';
import { volumeTypeQosSpecs } from '../../volume-types.js';
import { actionLog, ownPool, poolHasRoom, poolSatisfies, publisher, type ActionBackend } from './backend.js';
import { migrateOnBackend } from './migrate.js';

const sameDict = (a: object, b: object) =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

/** Cinder's `volume_types_diff`, reduced to what retype asks: all equal? encryption different? */
async function typesDiff(
  db: Db,
  oldId: string,
  newT: VolumeTypeRecord,
): Promise<{ allEqual: boolean; encryption: boolean }> {
  const oldT = await volumeTypeGet(db, oldId, true);
  const enc = async (id: string) => {
    const e = await volumeTypeEncryptionGet(db, id);
    return e
      ? { cipher: e.cipher, key_size: e.key_size, provider: e.provider, control_location: e.control_location }
      : {};
  };
  const encryption = !sameDict(await enc(oldId), await enc(newT.id));
  const specs = sameDict(oldT?.extra_specs ?? {}, newT.extra_specs);
  const qos = sameDict(await volumeTypeQosSpecs(db, oldId), await volumeTypeQosSpecs(db, newT.id));
  return { allEqual: specs && qos && !encryption, encryption };
}

/** The zones a type restricts its volumes to (`RESKEY:availability_zones`), or null. */
function typeZones(t: VolumeTypeRecord): string[] | null {
  const z = t.extra_specs['RESKEY:availability_zones'];
  return z ? z.split(',').map((s) => s.trim()) : null;
}

/** Whether the volume's own pool takes the new type (CapabilitiesFilter and the zone filter). */
async function fitsHere(b: ActionBackend, v: VolumeRecord, t: VolumeTypeRecord): Promise<boolean> {
  const pool = await ownPool(b, extractHost(v.host, 'pool'));
  const zones = typeZones(t) ?? (v.availability_zone ? [v.availability_zone] : null);
  return (
    pool !== null && poolSatisfies(pool, t.extra_specs) && (!zones || zones.includes(b.availabilityZone))
  );
}

/** The roomiest other pool (as the schedulers list them) that fits the type and the volume, or null. */
async function migrationTarget(b: ActionBackend, ctx: RequestContext, v: VolumeRecord, t: VolumeTypeRecord) {
  const pools = await new SchedulerRPCAPI(b.deps.transport).getPools(ctx, { volume_type: { ...t } });
  const ratio = b.deps.config.DEFAULT.max_over_subscription_ratio;
  const fitting = pools
    .filter((p) => ![b.host, b.cluster].includes(extractHost(p.name, 'backend')))
    .map((p) => {
      const pool = new PoolState(extractHost(p.name, 'backend')!, null, extractHost(p.name, 'pool') ?? '');
      pool.updateFromVolumeCapability({ ...p.capabilities }, null, ratio);
      return { name: p.name, pool };
    })
    .filter(({ pool }) => poolHasRoom(pool, t.extra_specs, v.size));
  // NOTE: `infinite`/`unknown` free space counts as the most, as the CapacityWeigher ranks it.
  const free = (p: PoolState) => (typeof p.free_capacity_gb === 'number' ? p.free_capacity_gb : Infinity);
  fitting.sort((x, y) => Math.sign(free(y.pool) - free(x.pool)) || 0);
  return fitting[0]?.name ?? null;
}

export async function retypeOnBackend(b: ActionBackend, ctx: RequestContext, a: RetypeArgs): Promise<void> {
  const { deps } = b;
  const db = deps.dbh.db;
  const log = actionLog(b, ctx, a.volume_id);
  const all = [...a.reservations, ...a.old_reservations];
  const v = await volumeGet(db, a.volume_id);
  if (!v || v.status !== 'retyping' || !(await b.takeIfOurs(v))) {
    log.info({ status: v?.status }, 'retype: nothing to do');
    await deps.quotas.rollback(all);
    return;
  }
  const previous = v.previous_status ?? 'available';
  /** The volume keeps its type: status back, quota back; `scheduler` reasons are also notified. */
  const refuse = async (reason: string, scheduler = false) => {
    log.warn({ reason, new_type_id: a.new_type_id }, 'retype refused');
    await deps.quotas.rollback(all);
    await volumeConditionalUpdate(db, v.id, { status: previous }, { status: ['retyping'] });
    if (scheduler)
      await deps.notifier.notify(
        `scheduler.${b.host}`,
        'scheduler.retype',
        {
          volume_id: v.id,
          state: { status: previous },
          method: 'retype',
          reason: `No valid backend was found. ${reason}`,
        },
        'ERROR',
      );
  };
  const newType = await volumeTypeGet(db, a.new_type_id, true);
  if (!b.initialized()) return refuse('driver not initialized');
  if (!newType) return refuse(`volume type ${a.new_type_id} is gone`);

  const diff = await typesDiff(db, v.volume_type_id, newType);
  if (diff.allEqual || (!diff.encryption && (await fitsHere(b, v, newType)))) {
    const swapped = await volumeConditionalUpdate(
      db,
      v.id,
      { volume_type_id: newType.id },
      { status: ['retyping'] },
    );
    // NOTE: reset meanwhile (an admin's os-reset_status): the retype is dropped.
    if (!swapped) return deps.quotas.rollback(all);
  } else {
    if (a.migration_policy !== 'on-demand')
      return refuse(
        diff.encryption
          ? 'Retype requires migration but is not allowed.'
          : `Current backend not valid for volume ${v.id} with type ${newType.id}, migration not allowed`,
        !diff.encryption,
      );
    // NOTE: a migration cannot add or drop encryption (no key manager).
    if (diff.encryption) return refuse('Retype requires a migration that cannot change encryption.');
    if ((await snapshotCountForVolume(db, v.id)) > 0) return refuse('Volume must not have snapshots.');
    const target = await migrationTarget(b, ctx, v, newType).catch((e: unknown) => {
      log.warn({ err: e }, 'retype: no pool list from the schedulers');
      return null;
    });
    if (!target) return refuse(`No valid backends for volume ${v.id} with type ${newType.id}`, true);
    await volumeConditionalUpdate(db, v.id, { migration_status: 'starting' }, { status: ['retyping'] });
    const moved = await migrateOnBackend(b, ctx, {
      volumeId: v.id,
      target,
      newTypeId: newType.id,
      keepStatus: true,
    });
    if (!moved) return refuse(`the migration to ${target} failed`);
  }
  // The volume's snapshots take its type, as in Cinder.
  await snapshotsSetVolumeType(db, v.id, newType.id);
  await deps.quotas.commit(all);
  // NOTE: the status last, so whoever waits for it sees the quota already moved.
  await volumeConditionalUpdate(db, v.id, { status: previous }, { status: ['retyping'] });
  const after = (await volumeGet(db, v.id)) ?? v;
  await deps.notifier.notify(publisher(b), 'volume.retype', {
    ...volumeUsagePayload(after),
    volume_type: newType.id,
  });
  await b.publishCapabilities();
  log.info({ new_type_id: newType.id }, 'Retype volume completed successfully.');
}

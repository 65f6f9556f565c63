/**
 * The per-type quota a retype moves (Cinder's `quota_utils.get_volume_type_reservation` with
 * `reserve_vol_type_only`): `volumes_<type>` 1, `gigabytes_<type>` the volume's size plus its
 * snapshots', `snapshots_<type>` their count.
 */
import type { CoreDeps } from '../../common/deps.js';
import { OverQuota, overQuotaToError } from '../../quota/over-quota.js';

/** The volume, as far as its per-type quota goes. */
export interface RetypeQuotaSubject {
  readonly project_id: string;
  readonly size: number;
  readonly snapshotSizes: readonly number[];
}

/** Per-type deltas of `subject` under type `typeName`, negated with `sign` -1. */
export function typeDeltas(
  subject: RetypeQuotaSubject,
  typeName: string,
  sign: 1 | -1,
): Record<string, number> {
  const gigabytes = subject.size + subject.snapshotSizes.reduce((a, b) => a + b, 0);
  const deltas: Record<string, number> = {
    [`volumes_${typeName}`]: sign,
    [`gigabytes_${typeName}`]: sign * gigabytes,
  };
  if (subject.snapshotSizes.length) deltas[`snapshots_${typeName}`] = sign * subject.snapshotSizes.length;
  return deltas;
}

/**
 * Reserves the new type's share, then gives back the old type's (negative, never over). Over
 * quota is Cinder's 413 for the volume (`requested` = the volume's size). Returns both
 * reservation lists, to commit when the type changed or roll back when it did not.
 */
export async function reserveRetypeQuota(
  core: CoreDeps,
  subject: RetypeQuotaSubject,
  oldTypeName: string | null,
  newTypeName: string,
): Promise<{ reservations: string[]; oldReservations: string[] }> {
  const deltas = typeDeltas(subject, newTypeName, 1);
  let reservations: string[];
  try {
    reservations = await core.quotas.reserve(subject.project_id, deltas);
  } catch (e) {
    if (!(e instanceof OverQuota)) throw e;
    throw overQuotaToError(e, { ...deltas, [`gigabytes_${newTypeName}`]: subject.size });
  }
  if (!oldTypeName) return { reservations, oldReservations: [] };
  try {
    return {
      reservations,
      oldReservations: await core.quotas.reserve(subject.project_id, typeDeltas(subject, oldTypeName, -1)),
    };
  } catch (e) {
    await core.quotas.rollback(reservations);
    throw e;
  }
}

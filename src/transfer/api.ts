/**
 * The volume transfer API (Cinder's `transfer/api.py`): offer a volume to another project with a
 * one-time auth key, list and withdraw offers, and accept one — which moves the volume (and,
 * unless it was offered without them, its snapshots) and their quota usage to the receiver.
 */
import { authorize } from '../auth/policy.js';
import type { RequestContext } from '../common/context.js';
import type { CoreDeps } from '../common/deps.js';
import { InvalidAuthKey, InvalidSnapshot, InvalidVolume, VolumeNotFound } from '../common/errors.js';
import { newUuid } from '../common/uuid.js';
import type { PageRequest } from '../db/api/common.js';
import {
  TRANSFER_COLUMNS,
  transferAccept,
  transferableSnapshots,
  transferCreate,
  transferDestroy,
  transferGet,
  transferList,
  type TransferListFilters,
  type TransferRecord,
} from '../db/api/transfers.js';
import { volumeGet, type VolumeRecord } from '../db/api/volumes.js';
import { volumeUsagePayload } from '../notify/volume-usage.js';
import { OverQuota, overQuotaToError } from '../quota/over-quota.js';
import { authKeyMatches, newAuthKey } from './auth-key.js';

// NOTE: re-exported as it is, so the API reads the columns a transfer list filters and sorts by here.
export { TRANSFER_COLUMNS };

/** What a create answers: the row plus the auth key, which is never shown again. */
export interface CreatedTransfer extends TransferRecord {
  auth_key: string;
}

/** Reservation ids of one accept, to commit or roll back together. */
interface AcceptReservations {
  receiver: string[];
  donor: string[];
}

/** Adds the per-type keys of `typeName` for the totals in `deltas` (Cinder's `add_volume_type_opts`). */
function withTypeKeys(deltas: Record<string, number>, typeName: string | null): Record<string, number> {
  const out = { ...deltas };
  if (typeName)
    for (const r of ['volumes', 'gigabytes', 'snapshots'])
      if (r in deltas) out[`${r}_${typeName}`] = deltas[r]!;
  return out;
}

/** The negation of every delta (what the donor gives back). */
function negated(deltas: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(deltas).map(([k, v]) => [k, v === 0 ? 0 : -v]));
}

export class TransferAPI {
  constructor(private readonly deps: CoreDeps) {}

  get #db() {
    return this.deps.dbh.db;
  }

  async #notify(v: VolumeRecord, suffix: string): Promise<void> {
    await this.deps.notifier.notify(
      `volume.${this.deps.config.DEFAULT.host}`,
      `volume.${suffix}`,
      volumeUsagePayload(v),
    );
  }

  /** One transfer; a non-admin sees only transfers of its own project's volumes. */
  async get(ctx: RequestContext, id: string): Promise<TransferRecord> {
    authorize(ctx, 'volume:get_transfer');
    return transferGet(this.#db, id, ctx.isAdmin ? null : ctx.projectId);
  }

  /**
   * Transfers of the caller's project (by the volume's owner), or of every project for an admin
   * asking with `all_tenants`.
   */
  async getAll(
    ctx: RequestContext,
    allTenants: boolean,
    columns: TransferListFilters['columns'],
    page: PageRequest & { sort: { key: string; dir: 'asc' | 'desc' }[] },
  ): Promise<TransferRecord[]> {
    authorize(ctx, 'volume:get_all_transfers');
    const projectId = ctx.isAdmin && allTenants ? null : ctx.projectId;
    return transferList(this.#db, { projectId, columns }, page);
  }

  /**
   * Offers an `available` volume: checks its snapshots (unless `noSnapshots`), makes the auth key
   * and moves the volume to `awaiting-transfer`.
   */
  async create(
    ctx: RequestContext,
    volumeId: string,
    name: string | null,
    opts: { noSnapshots: boolean; allowEncrypted: boolean },
  ): Promise<CreatedTransfer> {
    const v = await volumeGet(this.#db, volumeId, ctx.isAdmin ? null : ctx.projectId);
    if (!v) throw new VolumeNotFound(volumeId);
    authorize(ctx, 'volume:create_transfer', v.project_id);
    if (v.status !== 'available') throw new InvalidVolume('status must be available');
    if (v.encryption_key_id !== null) {
      if (!opts.allowEncrypted) throw new InvalidVolume('transferring encrypted volume is not supported');
      if (opts.noSnapshots)
        throw new InvalidVolume('transferring an encrypted volume without its snapshots is not supported');
    }
    if (!opts.noSnapshots)
      for (const s of await transferableSnapshots(this.#db, volumeId))
        if (s.status !== 'available') throw new InvalidSnapshot(`snapshot: ${s.id} status must be available`);

    await this.#notify(v, 'transfer.create.start');
    const key = newAuthKey();
    const row = await transferCreate(this.#db, {
      id: newUuid(),
      volume_id: volumeId,
      display_name: name,
      salt: key.salt,
      crypt_hash: key.cryptHash,
      no_snapshots: opts.noSnapshots ? 1 : 0,
      source_project_id: v.project_id,
    });
    // NOTE: as in Cinder, the end notification carries the volume as read before the change.
    await this.#notify(v, 'transfer.create.end');
    return { ...row, auth_key: key.authKey };
  }

  /** Withdraws an offer: the volume goes back to `available` (if it is still awaiting transfer). */
  async delete(ctx: RequestContext, id: string): Promise<void> {
    const t = await transferGet(this.#db, id, ctx.isAdmin ? null : ctx.projectId);
    const v = await volumeGet(this.#db, t.volume_id);
    if (!v) throw new VolumeNotFound(t.volume_id);
    authorize(ctx, 'volume:delete_transfer', v.project_id);
    await this.#notify(v, 'transfer.delete.start');
    if (v.status !== 'awaiting-transfer')
      this.deps.log.error({ transfer_id: id, volume_id: v.id }, 'Volume in unexpected state');
    await transferDestroy(this.#db, t);
    await this.#notify(v, 'transfer.delete.end');
  }

  /**
   * Accepts a transfer for the caller's project: checks the key, reserves the volume (and its
   * snapshots) in the receiver's quota and gives it back in the donor's, moves ownership, then
   * commits both sides; any failure rolls every reservation back.
   */
  async accept(
    ctx: RequestContext,
    id: string,
    authKey: string,
  ): Promise<{ id: string; display_name: string | null; volume_id: string }> {
    authorize(ctx, 'volume:accept_transfer');
    const t = await transferGet(this.#db, id);
    if (!authKeyMatches(t.salt ?? '', authKey, t.crypt_hash ?? ''))
      throw new InvalidAuthKey(`Attempt to transfer ${id} with invalid auth key.`);
    const v = await volumeGet(this.#db, t.volume_id);
    if (!v) throw new VolumeNotFound(t.volume_id);
    if (v.consistencygroup_id)
      throw new InvalidVolume(`Volume ${v.id} must not be part of a consistency group.`);

    const receiver = ctx.projectId ?? '';
    const donor = v.project_id ?? '';
    await this.deps.quotas.checkPerVolumeSize(receiver, v.size);
    const reservations = await this.#reserveMove(receiver, donor, v, t);
    try {
      await this.#notify(v, 'transfer.accept.start');
      if (v.status === 'maintenance')
        throw new InvalidVolume('The volume cannot accept transfer in maintenance mode.');
      await transferAccept(this.#db, t, ctx.userId, ctx.projectId);
      await this.deps.quotas.commit(reservations.receiver);
      await this.deps.quotas.commit(reservations.donor);
    } catch (e) {
      await this.deps.quotas.rollback(reservations.receiver);
      await this.deps.quotas.rollback(reservations.donor);
      throw e;
    }
    this.deps.log.info({ volume_id: v.id, transfer_id: id }, 'Volume has been transferred.');
    await this.#notify((await volumeGet(this.#db, v.id)) ?? v, 'transfer.accept.end');
    return { id, display_name: t.display_name, volume_id: v.id };
  }

  /**
   * Reserves the volume (and, when they go with it, its snapshots) in the receiver's quota —
   * over quota is the 413 Cinder gives — and the matching negative deltas in the donor's.
   * NOTE: unlike Cinder, a refused snapshot reservation also rolls back the volume's, instead of
   * leaving it reserved until it expires.
   */
  async #reserveMove(
    receiver: string,
    donor: string,
    v: VolumeRecord,
    t: TransferRecord,
  ): Promise<AcceptReservations> {
    const quotas = this.deps.quotas;
    const typeName = v.volume_type_name;
    const reserve = async (deltas: Record<string, number>): Promise<string[]> => {
      try {
        return await quotas.reserve(receiver, deltas);
      } catch (e) {
        if (e instanceof OverQuota) throw overQuotaToError(e, deltas);
        throw e;
      }
    };
    const out: AcceptReservations = { receiver: [], donor: [] };
    try {
      const volumeDeltas = withTypeKeys({ volumes: 1, gigabytes: v.size }, typeName);
      out.receiver.push(...(await reserve(volumeDeltas)));
      out.donor.push(...(await this.#reserveDonor(donor, negated(volumeDeltas))));
      if (!t.no_snapshots) {
        const snaps = await transferableSnapshots(this.#db, v.id);
        const snapDeltas = withTypeKeys(
          { snapshots: snaps.length, gigabytes: snaps.reduce((n, s) => n + s.volume_size, 0) },
          typeName,
        );
        out.receiver.push(...(await reserve(snapDeltas)));
        out.donor.push(...(await this.#reserveDonor(donor, negated(snapDeltas))));
      }
      return out;
    } catch (e) {
      await quotas.rollback(out.receiver);
      await quotas.rollback(out.donor);
      throw e;
    }
  }

  /** The donor's negative reservation; a failure is logged, not fatal (as in Cinder). */
  async #reserveDonor(donor: string, deltas: Record<string, number>): Promise<string[]> {
    try {
      return await this.deps.quotas.reserve(donor, deltas);
    } catch (e) {
      this.deps.log.error({ err: e, project_id: donor }, 'Failed to update quota donating volume transfer');
      return [];
    }
  }
}

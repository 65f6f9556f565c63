import { newTimeOrderedUuid } from '../common/uuid.js';
import type { DatabaseHandle } from '../db/connection.js';
import type { Db } from '../db/api/common.js';
import {
  quotaClassDefaultLimits,
  quotaClassLimitSet,
  quotaClassLimitsWithDefault,
  quotaProjectLimitRows,
  quotaProjectLimitSet,
  quotaProjectLimitsDestroy,
  quotaProjectLimitsOf,
} from '../db/api/quotas.js';
import {
  quotaUsagesCreate,
  quotaUsagesLock,
  quotaUsagesLockByIds,
  quotaUsagesOfProject,
  quotaUsagesUpdate,
} from '../db/api/quota-usages.js';
import {
  reservationsCreate,
  reservationsExpiredBefore,
  reservationsFinish,
  reservationsLockForFinish,
} from '../db/api/reservations.js';
import { volumeTypeNames } from '../db/api/volume-types.js';
import { isoNow, formatTimestamp } from '../common/time.js';
import { ABSOLUTE_RESOURCES, RESERVABLE_RESOURCES, perTypeKeys } from './resources.js';
import { OverQuota } from './over-quota.js';
import { VolumeSizeExceedsLimit } from '../common/errors.js';
import { sqliteWriteLock, withDeadlockRetry } from '../db/retry.js';

/** A reserve found usage rows missing: they are created outside the transaction, then it runs again. */
class MissingUsageRows extends Error {
  constructor(readonly resources: string[]) {
    super(`quota usage rows missing: ${resources.join(', ')}`);
  }
}

/** The quota settings from cinder.conf the engine needs. */
export interface QuotaOptions {
  /** Default limit per resource name (config `quota_*`), used when no class or project row exists. */
  defaults: Record<string, number>;
  reservation_expire: number;
  use_default_quota_class: boolean;
}

/** One resource's numbers in a project. */
export interface QuotaUsage {
  limit: number;
  in_use: number;
  reserved: number;
  allocated: number;
}

/**
 * Cinder's DbQuotaDriver: limits (project rows over the `default` class over config), usages, and
 * reservations that are reserved, then committed or rolled back, in one transaction each.
 */
export class QuotaEngine {
  readonly #h: DatabaseHandle;
  readonly #opts: QuotaOptions;

  constructor(handle: DatabaseHandle, opts: QuotaOptions) {
    this.#h = handle;
    this.#opts = opts;
  }

  /** Every resource name that exists now: the fixed ones plus per-type keys of every live type. */
  async resourceNames(db: Db = this.#h.db): Promise<string[]> {
    const typeNames = await volumeTypeNames(db);
    return [...RESERVABLE_RESOURCES, ...ABSOLUTE_RESOURCES, ...typeNames.flatMap((n) => perTypeKeys(n))];
  }

  /** Default limits (`os-quota-sets/{p}/defaults`): class `default` rows over config values. */
  async defaults(db: Db = this.#h.db): Promise<Record<string, number>> {
    const names = await this.resourceNames(db);
    const out: Record<string, number> = {};
    for (const n of names) out[n] = this.#opts.defaults[n] ?? -1;
    if (this.#opts.use_default_quota_class) {
      const rows = await quotaClassDefaultLimits(db);
      for (const r of rows) if (r.resource in out) out[r.resource] = r.hard_limit;
    }
    return out;
  }

  /**
   * Limits of a quota class (`os-quota-class-sets/{name}`), every resource: the class's own rows
   * over class `default` rows over config values (Cinder's `get_class_quotas` with defaults, which
   * reads the `default` class whatever `use_default_quota_class` says).
   */
  async classQuotas(className: string, db: Db = this.#h.db): Promise<Record<string, number>> {
    const names = await this.resourceNames(db);
    const rows = await quotaClassLimitsWithDefault(db, className);
    const own = new Map(rows.filter((r) => r.class_name === className).map((r) => [r.resource, r]));
    const dflt = new Map(rows.filter((r) => r.class_name === 'default').map((r) => [r.resource, r]));
    const out: Record<string, number> = {};
    for (const n of names)
      out[n] = own.get(n)?.hard_limit ?? dflt.get(n)?.hard_limit ?? this.#opts.defaults[n] ?? -1;
    return out;
  }

  /** Sets limits of a quota class (admin `PUT os-quota-class-sets`), creating rows it lacks. */
  async setClassLimits(className: string, limits: Record<string, number>): Promise<void> {
    await this.#h.db.transaction().execute(async (trx) => {
      const now = isoNow();
      for (const [resource, hard_limit] of Object.entries(limits))
        await quotaClassLimitSet(trx, className, resource, hard_limit, now);
    });
  }

  /** Limits and usages of a project, every resource. */
  async projectQuotas(projectId: string, db: Db = this.#h.db): Promise<Record<string, QuotaUsage>> {
    const limits = await this.defaults(db);
    const [rows, usages] = await Promise.all([
      quotaProjectLimitRows(db, projectId),
      quotaUsagesOfProject(db, projectId),
    ]);
    const out: Record<string, QuotaUsage> = {};
    for (const [name, limit] of Object.entries(limits))
      out[name] = { limit, in_use: 0, reserved: 0, allocated: 0 };
    for (const r of rows)
      if (out[r.resource]) Object.assign(out[r.resource]!, { limit: r.hard_limit, allocated: r.allocated });
    for (const u of usages)
      if (out[u.resource]) Object.assign(out[u.resource]!, { in_use: u.in_use, reserved: u.reserved });
    return out;
  }

  /** Sets project limits (admin `PUT os-quota-sets`). */
  async setProjectLimits(projectId: string, limits: Record<string, number>): Promise<void> {
    await this.#h.db.transaction().execute(async (trx) => {
      const now = isoNow();
      for (const [resource, hard_limit] of Object.entries(limits))
        await quotaProjectLimitSet(trx, projectId, resource, hard_limit, now);
    });
  }

  /** Drops a project's own limits so the defaults apply again (admin `DELETE os-quota-sets`). */
  async resetProjectLimits(projectId: string): Promise<void> {
    await quotaProjectLimitsDestroy(this.#h.db, projectId, isoNow());
  }

  /** Limits of just these resources for a project: project rows over class `default` over config. */
  async #limitsFor(db: Db, projectId: string, resources: string[]): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const r of resources) out[r] = this.#opts.defaults[r] ?? -1;
    if (this.#opts.use_default_quota_class) {
      const rows = await quotaClassDefaultLimits(db, resources);
      for (const r of rows) out[r.resource] = r.hard_limit;
    }
    const rows = await quotaProjectLimitsOf(db, projectId, resources);
    for (const r of rows) out[r.resource] = r.hard_limit;
    return out;
  }

  /** Absolute limit check (`per_volume_gigabytes`): throws VolumeSizeExceedsLimit. */
  async checkPerVolumeSize(projectId: string, size: number): Promise<void> {
    const limit =
      (await this.#limitsFor(this.#h.db, projectId, ['per_volume_gigabytes'])).per_volume_gigabytes ?? -1;
    if (limit >= 0 && size > limit) throw new VolumeSizeExceedsLimit(size, limit);
  }

  /**
   * Reserves `deltas` for a project. All or nothing: throws `OverQuota` when any resource would go
   * over its limit (`limit >= 0 and delta >= 0 and limit < delta + in_use + reserved`).
   * Returns the reservation ids to commit or roll back.
   */
  async reserve(
    projectId: string,
    deltas: Record<string, number>,
    opts: { perVolumeGigabytes?: number } = {},
  ): Promise<string[]> {
    return withDeadlockRetry(async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await this.#h.db
            .transaction()
            .execute((trx) => this.#reserveIn(trx, projectId, deltas, opts));
        } catch (e) {
          if (!(e instanceof MissingUsageRows) || attempt > 0) throw e;
          await this.#createUsageRows(projectId, e.resources);
        }
      }
    });
  }

  async #reserveIn(
    trx: Db,
    projectId: string,
    deltas: Record<string, number>,
    opts: { perVolumeGigabytes?: number },
  ): Promise<string[]> {
    const expire = formatTimestamp(new Date(Date.now() + this.#opts.reservation_expire * 1000));
    const resources = Object.keys(deltas);
    await sqliteWriteLock(trx, this.#h);
    const limits = await this.#limitsFor(trx, projectId, [...resources, 'per_volume_gigabytes']);
    const perVolume = limits.per_volume_gigabytes ?? -1;
    if (opts.perVolumeGigabytes !== undefined && perVolume >= 0 && opts.perVolumeGigabytes > perVolume)
      throw new VolumeSizeExceedsLimit(opts.perVolumeGigabytes, perVolume);
    const usages = await this.#lockUsages(trx, projectId, resources);
    const overs: string[] = [];
    for (const [res, delta] of Object.entries(deltas)) {
      const limit = limits[res] ?? -1;
      const u = usages.get(res)!;
      if (limit >= 0 && delta >= 0 && limit < delta + u.in_use + u.reserved) overs.push(res);
    }
    if (overs.length) {
      const use: Record<string, { in_use: number; reserved: number }> = {};
      for (const r of resources)
        use[r] = { in_use: usages.get(r)!.in_use, reserved: usages.get(r)!.reserved };
      throw new OverQuota(overs, limits, use);
    }
    const now = isoNow();
    const rows = resources.map((resource) => ({
      uuid: newTimeOrderedUuid(),
      usage_id: usages.get(resource)!.id,
      resource,
      delta: deltas[resource]!,
    }));
    await reservationsCreate(trx, { project_id: projectId, expire, created_at: now }, rows);
    const reserved = new Map<number, number>();
    for (const r of rows)
      if (r.delta > 0) reserved.set(usages.get(r.resource)!.id, usages.get(r.resource)!.reserved + r.delta);
    await quotaUsagesUpdate(trx, new Map([...reserved].map(([id, v]) => [id, { reserved: v }])), now);
    return rows.map((r) => r.uuid);
  }

  /**
   * The usage rows of `resources`, locked until the transaction ends (`SELECT … FOR UPDATE`, in id
   * order so concurrent reserves lock in the same order; SQLite holds the database write lock
   * instead). Throws MissingUsageRows when some do not exist yet.
   */
  async #lockUsages(
    trx: Db,
    projectId: string,
    resources: string[],
  ): Promise<Map<string, { id: number; in_use: number; reserved: number }>> {
    const rows = await quotaUsagesLock(trx, this.#h, projectId, resources);
    const missing = resources.filter((r) => !rows.some((x) => x.resource === r));
    if (missing.length) throw new MissingUsageRows(missing);
    return new Map(rows.map((r) => [r.resource, r]));
  }

  /**
   * Creates zeroed usage rows, each in its own autocommit statement outside any reservation. The
   * unique index on (project_id, resource, deleted) turns a racing second insert into a no-op
   * (`ON CONFLICT DO NOTHING`, MySQL `INSERT IGNORE`), so concurrent first reserves of a project
   * agree on one row instead of making duplicates.
   * NOTE: outside the reserve transaction on purpose: on MySQL, a locking read that found no row
   * holds a gap lock, and two transactions inserting into each other's gap deadlock.
   */
  async #createUsageRows(projectId: string, resources: string[]): Promise<void> {
    await quotaUsagesCreate(this.#h.db, this.#h, projectId, resources, isoNow());
  }

  /** Makes reservations count as usage (in_use += delta; reserved -= positive delta). */
  async commit(reservations: readonly string[]): Promise<void> {
    await this.#finish(reservations, true);
  }

  /** Releases reservations without using them. */
  async rollback(reservations: readonly string[]): Promise<void> {
    await this.#finish(reservations, false);
  }

  async #finish(reservations: readonly string[], commit: boolean): Promise<void> {
    if (!reservations.length) return;
    await withDeadlockRetry(() =>
      this.#h.db.transaction().execute((trx) => this.#finishIn(trx, reservations, commit, false)),
    );
  }

  /**
   * Commits (or rolls back) reservations inside the caller's transaction, so finishing them and
   * another write (a volume row, its pending-quota note) happen together or not at all. With
   * `countFinished`, a commit also counts reservations that were already finished without being
   * used (rolled back by the expiry) as usage: the caller knows nothing else committed them.
   */
  async commitIn(trx: Db, reservations: readonly string[], countFinished = false): Promise<void> {
    await this.#finishIn(trx, reservations, true, countFinished);
  }

  /** Rolls back reservations inside the caller's transaction (see {@link commitIn}). */
  async rollbackIn(trx: Db, reservations: readonly string[]): Promise<void> {
    await this.#finishIn(trx, reservations, false, false);
  }

  async #finishIn(
    trx: Db,
    reservations: readonly string[],
    commit: boolean,
    countFinished: boolean,
  ): Promise<void> {
    if (!reservations.length) return;
    await sqliteWriteLock(trx, this.#h);
    // The reservations to finish: the open ones, and with `countFinished` the finished ones too,
    // locked first: a concurrent commit, rollback or expiry of the same ones waits here and then
    // finds them finished.
    // NOTE: the project's usage rows are locked last, just before their update, because every
    // reserve and commit of the project queues on them: this keeps that lock to one statement and
    // the COMMIT. Commit, rollback and expiry all lock reservations, then usages; reserve locks
    // usages only (the reservations it inserts are new rows), so no two of them deadlock.
    const rows = await reservationsLockForFinish(trx, this.#h, reservations, countFinished);
    if (!rows.length) return;
    const now = isoNow();
    const open = rows.filter((r) => !r.deleted).map((r) => r.id);
    if (open.length) await reservationsFinish(trx, open, now);
    const usageIds = [...new Set(rows.map((r) => r.usage_id))];
    const usages = new Map((await quotaUsagesLockByIds(trx, this.#h, usageIds)).map((u) => [u.id, { ...u }]));
    for (const r of rows) {
      const u = usages.get(r.usage_id);
      if (!u) continue;
      if (r.deleted) {
        // Finished earlier (expired): its `reserved` is already given back; count it as used.
        u.in_use = Math.max(0, u.in_use + r.delta);
        continue;
      }
      if (r.delta > 0) u.reserved = Math.max(0, u.reserved - r.delta);
      if (commit) u.in_use = Math.max(0, u.in_use + r.delta);
    }
    await quotaUsagesUpdate(
      trx,
      new Map([...usages.values()].map((u) => [u.id, { reserved: u.reserved, in_use: u.in_use }])),
      now,
    );
  }

  /** Rolls back reservations past their `expire` time, so a crashed request never leaks quota. */
  async expire(now: Date = new Date()): Promise<number> {
    const uuids = await reservationsExpiredBefore(this.#h.db, formatTimestamp(now));
    await this.rollback(uuids);
    return uuids.length;
  }

  /**
   * Gives usage back inside the caller's transaction (a delete), so releasing quota and removing
   * the row happen together or not at all.
   */
  async releaseUsage(trx: Db, projectId: string, deltas: Record<string, number>): Promise<void> {
    const resources = Object.keys(deltas);
    await sqliteWriteLock(trx, this.#h);
    // NOTE: lock the usage rows in id order, as reserve/commit do, so concurrent deletes and
    // reservations neither lose updates nor deadlock each other.
    const rows = await quotaUsagesLock(trx, this.#h, projectId, resources);
    await quotaUsagesUpdate(
      trx,
      new Map(rows.map((r) => [r.id, { in_use: Math.max(0, r.in_use + (deltas[r.resource] ?? 0)) }])),
      isoNow(),
    );
  }

  /** Reserve + commit in one go (used for deletes, whose negative deltas never go over). */
  async reserveAndCommit(projectId: string, deltas: Record<string, number>): Promise<void> {
    await this.commit(await this.reserve(projectId, deltas));
  }
}

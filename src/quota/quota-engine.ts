import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { DatabaseHandle } from '../db/connection.js';
import type { Db } from '../db/api/common.js';
import { isoNow, formatTimestamp } from '../db/time.js';
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

/**
 * Sets new `reserved`/`in_use` values on several usage rows in one statement
 * (`SET col = CASE id WHEN … END`), so a reservation costs one write, not one per resource.
 */
async function updateUsages(
  db: Db,
  values: Map<number, { reserved?: number; in_use?: number }>,
  now: string,
): Promise<void> {
  if (values.size === 0) return;
  const column = (name: 'reserved' | 'in_use') => {
    const whens = [...values]
      .filter(([, v]) => v[name] !== undefined)
      .map(([id, v]) => sql`WHEN ${id} THEN ${v[name]!}`);
    return whens.length
      ? sql<number>`CASE id ${sql.join(whens, sql` `)} ELSE ${sql.ref(name)} END`
      : sql<number>`${sql.ref(name)}`;
  };
  await db
    .updateTable('quota_usages')
    .set({ reserved: column('reserved'), in_use: column('in_use'), updated_at: now })
    .where('id', 'in', [...values.keys()])
    .execute();
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
    const types = await db
      .selectFrom('volume_types')
      .select('name')
      .where('deleted', '=', 0)
      .orderBy('name')
      .execute();
    return [...RESERVABLE_RESOURCES, ...ABSOLUTE_RESOURCES, ...types.flatMap((t) => perTypeKeys(t.name))];
  }

  /** Default limits (`os-quota-sets/{p}/defaults`): class `default` rows over config values. */
  async defaults(db: Db = this.#h.db): Promise<Record<string, number>> {
    const names = await this.resourceNames(db);
    const out: Record<string, number> = {};
    for (const n of names) out[n] = this.#opts.defaults[n] ?? -1;
    if (this.#opts.use_default_quota_class) {
      const rows = await db
        .selectFrom('quota_classes')
        .select(['resource', 'hard_limit'])
        .where('class_name', '=', 'default')
        .where('deleted', '=', 0)
        .execute();
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
    const rows = await db
      .selectFrom('quota_classes')
      .select(['class_name', 'resource', 'hard_limit'])
      .where('class_name', 'in', [className, 'default'])
      .where('deleted', '=', 0)
      .orderBy('id')
      .execute();
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
      for (const [resource, hard_limit] of Object.entries(limits)) {
        const res = await trx
          .updateTable('quota_classes')
          .set({ hard_limit, updated_at: now })
          .where('class_name', '=', className)
          .where('resource', '=', resource)
          .where('deleted', '=', 0)
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) === 0)
          await trx
            .insertInto('quota_classes')
            .values({ class_name: className, resource, hard_limit, created_at: now, deleted: 0 })
            .execute();
      }
    });
  }

  /** Limits and usages of a project, every resource. */
  async projectQuotas(projectId: string, db: Db = this.#h.db): Promise<Record<string, QuotaUsage>> {
    const limits = await this.defaults(db);
    const [rows, usages] = await Promise.all([
      db
        .selectFrom('quotas')
        .select(['resource', 'hard_limit', 'allocated'])
        .where('project_id', '=', projectId)
        .where('deleted', '=', 0)
        .execute(),
      db
        .selectFrom('quota_usages')
        .select(['resource', 'in_use', 'reserved'])
        .where('project_id', '=', projectId)
        .where('deleted', '=', 0)
        .execute(),
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
      for (const [resource, hard_limit] of Object.entries(limits)) {
        const res = await trx
          .updateTable('quotas')
          .set({ hard_limit, updated_at: now })
          .where('project_id', '=', projectId)
          .where('resource', '=', resource)
          .where('deleted', '=', 0)
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) === 0)
          await trx
            .insertInto('quotas')
            .values({
              project_id: projectId,
              resource,
              hard_limit,
              allocated: 0,
              created_at: now,
              deleted: 0,
            })
            .execute();
      }
    });
  }

  /** Drops a project's own limits so the defaults apply again (admin `DELETE os-quota-sets`). */
  async resetProjectLimits(projectId: string): Promise<void> {
    const now = isoNow();
    await this.#h.db
      .updateTable('quotas')
      .set({ deleted: 1, deleted_at: now, updated_at: now })
      .where('project_id', '=', projectId)
      .where('deleted', '=', 0)
      .execute();
  }

  /** Limits of just these resources for a project: project rows over class `default` over config. */
  async #limitsFor(db: Db, projectId: string, resources: string[]): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const r of resources) out[r] = this.#opts.defaults[r] ?? -1;
    if (this.#opts.use_default_quota_class) {
      const rows = await db
        .selectFrom('quota_classes')
        .select(['resource', 'hard_limit'])
        .where('class_name', '=', 'default')
        .where('resource', 'in', resources)
        .where('deleted', '=', 0)
        .execute();
      for (const r of rows) out[r.resource] = r.hard_limit;
    }
    const rows = await db
      .selectFrom('quotas')
      .select(['resource', 'hard_limit'])
      .where('project_id', '=', projectId)
      .where('resource', 'in', resources)
      .where('deleted', '=', 0)
      .execute();
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
    await sqliteWriteLock(trx, this.#h.dialect);
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
      uuid: randomUUID(),
      usage_id: usages.get(resource)!.id,
      project_id: projectId,
      resource,
      delta: deltas[resource]!,
      expire,
      created_at: now,
      deleted: 0 as const,
    }));
    await trx.insertInto('reservations').values(rows).execute();
    const reserved = new Map<number, number>();
    for (const r of rows)
      if (r.delta > 0) reserved.set(usages.get(r.resource)!.id, usages.get(r.resource)!.reserved + r.delta);
    await updateUsages(trx, new Map([...reserved].map(([id, v]) => [id, { reserved: v }])), now);
    return rows.map((r) => r.uuid);
  }

  /**
   * The usage rows of `resources`, locked until the transaction ends (`SELECT … FOR UPDATE`, in id
   * order so concurrent reserves lock in the same order; SQLite holds the database write lock
   * instead). Throws MissingUsageRows when some do not exist yet.
   */
  /** A project's usage rows of `resources`, row-locked in id order where the engine can. */
  async #selectUsagesForUpdate(trx: Db, projectId: string, resources: string[]) {
    let q = trx
      .selectFrom('quota_usages')
      .select(['id', 'resource', 'in_use', 'reserved'])
      .where('project_id', '=', projectId)
      .where('resource', 'in', resources)
      .where('deleted', '=', 0)
      .orderBy('id');
    if (this.#h.dialect !== 'sqlite') q = q.forUpdate();
    return q.execute();
  }

  async #lockUsages(
    trx: Db,
    projectId: string,
    resources: string[],
  ): Promise<Map<string, { id: number; in_use: number; reserved: number }>> {
    const rows = await this.#selectUsagesForUpdate(trx, projectId, resources);
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
    const now = isoNow();
    const values = resources.map((resource) => ({
      project_id: projectId,
      resource,
      in_use: 0,
      reserved: 0,
      until_refresh: null,
      created_at: now,
      deleted: 0 as const,
    }));
    const insert = this.#h.db.insertInto('quota_usages').values(values);
    await (
      this.#h.dialect === 'mysql' ? insert.ignore() : insert.onConflict((oc) => oc.doNothing())
    ).execute();
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
      this.#h.db.transaction().execute(async (trx) => {
        await sqliteWriteLock(trx, this.#h.dialect);
        const locking = this.#h.dialect !== 'sqlite';
        const found = await trx
          .selectFrom('reservations')
          .select('usage_id')
          .where('uuid', 'in', [...reservations])
          .where('deleted', '=', 0)
          .execute();
        if (!found.length) return;
        // NOTE: lock usages first, then reservations: the order reserve() takes them in, so a
        // commit and a reserve on the same project cannot deadlock each other.
        let uq = trx
          .selectFrom('quota_usages')
          .select(['id', 'in_use', 'reserved'])
          .where('id', 'in', [...new Set(found.map((r) => r.usage_id))])
          .orderBy('id');
        if (locking) uq = uq.forUpdate();
        const usages = new Map((await uq.execute()).map((u) => [u.id, { ...u }]));
        let rq = trx
          .selectFrom('reservations')
          .select(['id', 'usage_id', 'delta'])
          .where('uuid', 'in', [...reservations])
          .where('deleted', '=', 0)
          .orderBy('id');
        if (locking) rq = rq.forUpdate();
        // Re-read under the lock: a concurrent commit/rollback/expiry may have finished some.
        const rows = await rq.execute();
        if (!rows.length) return;
        const now = isoNow();
        for (const r of rows) {
          const u = usages.get(r.usage_id);
          if (!u) continue;
          if (r.delta > 0) u.reserved = Math.max(0, u.reserved - r.delta);
          if (commit) u.in_use = Math.max(0, u.in_use + r.delta);
        }
        await updateUsages(
          trx,
          new Map([...usages.values()].map((u) => [u.id, { reserved: u.reserved, in_use: u.in_use }])),
          now,
        );
        await trx
          .updateTable('reservations')
          .set({ deleted: 1, deleted_at: now, updated_at: now })
          .where(
            'id',
            'in',
            rows.map((r) => r.id),
          )
          .execute();
      }),
    );
  }

  /** Rolls back reservations past their `expire` time, so a crashed request never leaks quota. */
  async expire(now: Date = new Date()): Promise<number> {
    const rows = await this.#h.db
      .selectFrom('reservations')
      .select('uuid')
      .where('deleted', '=', 0)
      .where('expire', '<', formatTimestamp(now))
      .execute();
    await this.rollback(rows.map((r) => r.uuid));
    return rows.length;
  }

  /**
   * Gives usage back inside the caller's transaction (a delete), so releasing quota and removing
   * the row happen together or not at all.
   */
  async releaseUsage(trx: Db, projectId: string, deltas: Record<string, number>): Promise<void> {
    const resources = Object.keys(deltas);
    await sqliteWriteLock(trx, this.#h.dialect);
    // NOTE: lock the usage rows in id order, as reserve/commit do, so concurrent deletes and
    // reservations neither lose updates nor deadlock each other.
    const rows = await this.#selectUsagesForUpdate(trx, projectId, resources);
    await updateUsages(
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

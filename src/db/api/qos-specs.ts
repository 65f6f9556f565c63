/**
 * QoS specs (Cinder's `qos_specs_*` db functions) on the `quality_of_service_specs` adjacency list:
 * a root row per spec (`key = 'QoS_Specs_Name'`, `value` = name, `specs_id` null) and a child row per
 * key, `consumer` included. Volume types point at a root with `volume_types.qos_specs_id`.
 */
import { sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import type { Db, PageRequest } from './common.js';
import { paginate, softDeleteValues, withTieBreakers } from './common.js';
import type { QualityOfServiceSpecsTable } from '../schema.js';
import { QoSSpecsExists, QoSSpecsKeyNotFound, QoSSpecsNotFound } from '../../common/errors.js';
import { isoNow } from '../../common/time.js';

/** The reserved key of a spec's root row, whose value is the spec's name. */
export const QOS_NAME_KEY = 'QoS_Specs_Name';

/** One QoS spec as the API shows it. */
export interface QosSpecsRecord {
  id: string;
  name: string;
  consumer: string;
  /** Spec keys other than `consumer`; a value may be null (set to null by an update). */
  specs: Record<string, string | null>;
  created_at: string;
}

/** Columns of the table: what a list may be filtered or sorted by (Cinder's model attributes). */
export const QOS_SPECS_COLUMNS = [
  'id',
  'specs_id',
  'key',
  'value',
  'created_at',
  'updated_at',
  'deleted_at',
  'deleted',
] as const;

/** Records for root rows, their child rows read in one query. */
async function withChildren(db: Db, roots: QualityOfServiceSpecsTable[]): Promise<QosSpecsRecord[]> {
  if (roots.length === 0) return [];
  const children = await db
    .selectFrom('quality_of_service_specs')
    .select(['specs_id', 'key', 'value'])
    .where('deleted', '=', 0)
    .where(
      'specs_id',
      'in',
      roots.map((r) => r.id),
    )
    .orderBy('created_at', 'asc')
    .orderBy('key', 'asc')
    .execute();
  return roots.map((root) => {
    const specs: Record<string, string | null> = {};
    let consumer = 'back-end';
    for (const c of children) {
      if (c.specs_id !== root.id || c.key === null) continue;
      if (c.key === 'consumer') consumer = c.value ?? 'back-end';
      // NOTE: defined, not assigned, so that a key such as `__proto__` stays a plain key.
      else
        Object.defineProperty(specs, c.key, {
          value: c.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
    }
    return { id: root.id, name: root.value ?? '', consumer, specs, created_at: root.created_at };
  });
}

function rootsQuery(db: Db) {
  return db
    .selectFrom('quality_of_service_specs')
    .selectAll()
    .where('deleted', '=', 0)
    .where('key', '=', QOS_NAME_KEY)
    .where('specs_id', 'is', null);
}

/** One live spec by id, or null. */
export async function qosSpecsGet(db: Db, id: string): Promise<QosSpecsRecord | null> {
  const root = await rootsQuery(db).where('id', '=', id).executeTakeFirst();
  return root ? ((await withChildren(db, [root]))[0] ?? null) : null;
}

/** One live spec by id, or `QoSSpecsNotFound`. */
export async function qosSpecsGetOrFail(db: Db, id: string): Promise<QosSpecsRecord> {
  const spec = await qosSpecsGet(db, id);
  if (!spec) throw new QoSSpecsNotFound(id);
  return spec;
}

/**
 * Creates a spec; `QoSSpecsExists` (by name) when a live one has the name. Keys whose value is
 * null are not stored (Cinder's object only saves changed keys, and null is no change).
 */
export async function qosSpecsCreate(
  db: Db,
  values: { name: string; consumer: string; specs: Record<string, string | null> },
): Promise<QosSpecsRecord> {
  const id = randomUUID();
  await db.transaction().execute(async (trx) => {
    const clash = await rootsQuery(trx).where('value', '=', values.name).executeTakeFirst();
    if (clash) throw new QoSSpecsExists(values.name);
    const now = isoNow();
    const row = (key: string, value: string | null, specsId: string | null, rowId = randomUUID()) => ({
      id: rowId,
      specs_id: specsId,
      key,
      value,
      created_at: now,
      deleted: 0 as const,
    });
    const rows = [row(QOS_NAME_KEY, values.name, null, id), row('consumer', values.consumer, id)];
    for (const [k, v] of Object.entries(values.specs)) if (v !== null) rows.push(row(k, v, id));
    await trx.insertInto('quality_of_service_specs').values(rows).execute();
  });
  return qosSpecsGetOrFail(db, id);
}

/**
 * A page of live specs (Cinder's `qos_specs_get_all`): `columns` are equality filters on the root
 * row, sorted by `created_at`, `id` (newest first) unless told otherwise. A `marker` naming no spec is
 * `QoSSpecsNotFound`.
 */
export async function qosSpecsList(
  db: Db,
  columns: Partial<Record<(typeof QOS_SPECS_COLUMNS)[number], string>>,
  page: PageRequest,
): Promise<QosSpecsRecord[]> {
  const sort = withTieBreakers(page.sort, ['created_at', 'id']);
  let q = rootsQuery(db);
  for (const [col, val] of Object.entries(columns)) q = q.where(sql.ref(col), '=', val);
  let marker: QualityOfServiceSpecsTable | undefined;
  if (page.marker) {
    marker = await rootsQuery(db).where('id', '=', page.marker).executeTakeFirst();
    if (!marker) throw new QoSSpecsNotFound(page.marker);
  }
  return withChildren(
    db,
    await paginate(q, 'quality_of_service_specs', sort, page, marker ?? null).execute(),
  );
}

/** Writes spec keys (`consumer` too): updates live rows, adds missing ones. */
export async function qosSpecsUpdateKeys(
  db: Db,
  id: string,
  specs: Record<string, string | null>,
): Promise<void> {
  const now = isoNow();
  await db.transaction().execute(async (trx) => {
    for (const [key, value] of Object.entries(specs)) {
      const res = await trx
        .updateTable('quality_of_service_specs')
        .set({ value, updated_at: now })
        .where('specs_id', '=', id)
        .where('key', '=', key)
        .where('deleted', '=', 0)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0)
        await trx
          .insertInto('quality_of_service_specs')
          .values({ id: randomUUID(), specs_id: id, key, value, created_at: now, deleted: 0 })
          .execute();
    }
  });
}

/**
 * Deletes keys in order and stops at the first one the spec does not have, with
 * `QoSSpecsKeyNotFound`; keys before it stay deleted (Cinder's behaviour). `consumer` is not a key.
 */
export async function qosSpecsDeleteKeys(
  db: Db,
  spec: QosSpecsRecord,
  keys: readonly string[],
): Promise<void> {
  for (const key of keys) {
    if (!Object.hasOwn(spec.specs, key)) throw new QoSSpecsKeyNotFound(spec.id, key);
    await db
      .updateTable('quality_of_service_specs')
      .set(softDeleteValues())
      .where('specs_id', '=', spec.id)
      .where('key', '=', key)
      .where('deleted', '=', 0)
      .execute();
  }
}

/** Soft-deletes a spec: its root and every key. */
export async function qosSpecsDelete(db: Db, id: string): Promise<void> {
  await db
    .updateTable('quality_of_service_specs')
    .set(softDeleteValues())
    .where((eb) => eb.or([eb('id', '=', id), eb('specs_id', '=', id)]))
    .where('deleted', '=', 0)
    .execute();
}

/** Live volume types associated with a spec, oldest first. */
export async function qosSpecsAssociations(db: Db, id: string): Promise<{ id: string; name: string }[]> {
  return db
    .selectFrom('volume_types')
    .select(['id', 'name'])
    .where('qos_specs_id', '=', id)
    .where('deleted', '=', 0)
    .orderBy('created_at', 'asc')
    .orderBy('id', 'asc')
    .execute();
}

/** Points a type at a spec. */
export async function qosSpecsAssociate(db: Db, id: string, typeId: string): Promise<void> {
  await db
    .updateTable('volume_types')
    .set({ qos_specs_id: id, updated_at: isoNow() })
    .where('id', '=', typeId)
    .where('deleted', '=', 0)
    .execute();
}

/** Clears a type's spec when it is this one. */
export async function qosSpecsDisassociate(db: Db, id: string, typeId: string): Promise<void> {
  await db
    .updateTable('volume_types')
    .set({ qos_specs_id: null, updated_at: isoNow() })
    .where('id', '=', typeId)
    .where('qos_specs_id', '=', id)
    .execute();
}

/** Clears the spec of every type (deleted ones too, as Cinder's) that has it. */
export async function qosSpecsDisassociateAll(db: Db, id: string): Promise<void> {
  await db
    .updateTable('volume_types')
    .set({ qos_specs_id: null, updated_at: isoNow() })
    .where('qos_specs_id', '=', id)
    .execute();
}

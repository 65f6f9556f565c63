/**
 * A volume type's encryption spec (Cinder's `volume_type_encryption_*` db functions): at most one
 * live `encryption` row per type. Cinder keeps these rows whether or not a key manager is configured;
 * only creating a volume of an encrypted type needs one.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from './common.js';
import { softDeleteValues } from './common.js';
import type { EncryptionTable } from '../schema.js';
import { isoNow } from '../../common/time.js';
import { preparedQuery } from '../prepared-query.js';

/** The columns a client may set. */
export const ENCRYPTION_FIELDS = ['cipher', 'key_size', 'provider', 'control_location'] as const;

/** Values of the settable columns (absent ones are left as they are on update, null on create). */
export type EncryptionValues = Partial<
  Pick<EncryptionTable, 'cipher' | 'key_size' | 'provider' | 'control_location'>
>;

/** The live encryption row of a type, or null. */
export async function volumeTypeEncryptionGet(db: Db, typeId: string): Promise<EncryptionTable | null> {
  return (await liveEncryptionOf(db, { typeId })).rows[0] ?? null;
}

const liveEncryptionOf = preparedQuery((db, v: { typeId: string }) =>
  db.selectFrom('encryption').selectAll().where('volume_type_id', '=', v.typeId).where('deleted', '=', 0),
);

/** Adds a type's encryption row; returns it. */
export async function volumeTypeEncryptionCreate(
  db: Db,
  typeId: string,
  values: EncryptionValues,
): Promise<EncryptionTable> {
  const row: EncryptionTable = {
    encryption_id: randomUUID(),
    cipher: values.cipher ?? null,
    key_size: values.key_size ?? null,
    provider: values.provider ?? null,
    control_location: values.control_location ?? null,
    volume_type_id: typeId,
    created_at: isoNow(),
    updated_at: null,
    deleted_at: null,
    deleted: 0,
  };
  await db.insertInto('encryption').values(row).execute();
  return row;
}

/** Changes the given columns of a type's live encryption row; false when there is none. */
export async function volumeTypeEncryptionUpdate(
  db: Db,
  typeId: string,
  values: EncryptionValues,
): Promise<boolean> {
  const res = await db
    .updateTable('encryption')
    .set({ ...values, updated_at: isoNow() })
    .where('volume_type_id', '=', typeId)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Soft-deletes a type's encryption row; false when there is none. */
export async function volumeTypeEncryptionDelete(db: Db, typeId: string): Promise<boolean> {
  const res = await db
    .updateTable('encryption')
    .set(softDeleteValues())
    .where('volume_type_id', '=', typeId)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

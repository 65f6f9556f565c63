/**
 * A volume's three key/value tables read together: user metadata, image metadata and the admin
 * metadata users may see. Every volume read needs all three (a GET, a list page, the manager's read
 * of the volume it works on), so they come in one statement (`UNION ALL`) for any number of
 * volumes, not three.
 */
import { sql } from 'kysely';
import type { Db } from './common.js';
import { groupMetadata } from './common.js';
import { preparedQuery } from '../prepared-query.js';

/** Per volume id, `{key: value}` of each table; volumes without rows in a table are absent from it. */
export interface VolumeKeyValues {
  metadata: Map<string, Record<string, string>>;
  glance: Map<string, Record<string, string>>;
  visibleAdmin: Map<string, Record<string, string>>;
}

/** Which table a row came from. */
type Kind = 'admin' | 'glance' | 'user';

/**
 * The live rows of `ids` in the three tables (admin metadata only of `adminKeys`); each table's
 * keys keep the order their rows were written in.
 */
export async function volumeKeyValuesOf(
  db: Db,
  ids: readonly string[],
  adminKeys: readonly string[],
): Promise<VolumeKeyValues> {
  if (ids.length === 0) return { metadata: new Map(), glance: new Map(), visibleAdmin: new Map() };
  // NOTE: ordered by id only: each table's rows keep their order once split by kind.
  const { rows } = await liveRowsOfVolumes(db, { ids, adminKeys });
  const of = (kind: Kind) => groupMetadata(rows.filter((r) => r.kind === kind));
  return { metadata: of('user'), glance: of('glance'), visibleAdmin: of('admin') };
}

const liveRowsOfVolumes = preparedQuery((db, v: { ids: readonly string[]; adminKeys: readonly string[] }) =>
  db
    .selectFrom('volume_metadata')
    .select([sql.lit<Kind>('user').as('kind'), 'id', 'volume_id as owner', 'key', 'value'])
    .where('volume_id', 'in', v.ids)
    .where('deleted', '=', 0)
    .unionAll(
      db
        .selectFrom('volume_glance_metadata')
        .select([sql.lit<Kind>('glance').as('kind'), 'id', 'volume_id as owner', 'key', 'value'])
        .where('volume_id', 'in', v.ids)
        .where('deleted', '=', 0)
        .$narrowType<{ owner: string }>(),
    )
    .unionAll(
      db
        .selectFrom('volume_admin_metadata')
        .select([sql.lit<Kind>('admin').as('kind'), 'id', 'volume_id as owner', 'key', 'value'])
        .where('volume_id', 'in', v.ids)
        .where('deleted', '=', 0)
        .where('key', 'in', v.adminKeys),
    )
    .orderBy('id'),
);

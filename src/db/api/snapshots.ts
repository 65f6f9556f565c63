import type { Db } from './common.js';
import type { SnapshotsTable } from '../schema.js';

/** One live snapshot, or null (project-scoped when `projectId` is given). */
export async function snapshotGet(
  db: Db,
  id: string,
  projectId?: string | null,
): Promise<SnapshotsTable | null> {
  let q = db.selectFrom('snapshots').selectAll().where('id', '=', id).where('deleted', '=', 0);
  if (projectId) q = q.where('project_id', '=', projectId);
  return (await q.executeTakeFirst()) ?? null;
}

/** Count of live snapshots of a volume (a volume with snapshots is not deletable without cascade). */
export async function snapshotCountForVolume(db: Db, volumeId: string): Promise<number> {
  const r = await db
    .selectFrom('snapshots')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('volume_id', '=', volumeId)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

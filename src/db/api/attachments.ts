/**
 * `volume_attachment` rows (Cinder's `volume_attach`, `volume_attached`, `volume_detached`,
 * `volume_attachment_get*`, `attachment_destroy`). `connection_info` and `connector` are JSON text
 * in the table and objects here.
 */
import type { DatabaseHandle } from '../connection.js';
import type { Db, PageRequest } from './common.js';
import { markerSortValues, paginate, softDeleteValues, withTieBreakers } from './common.js';
import { conditionalUpdate, type Expected } from './conditional-update.js';
import type { VolumeAttachmentTable } from '../schema.js';
import { isoNow } from '../../common/time.js';
import { preparedQuery } from '../prepared-query.js';
import { lockedUnlessSqlite } from '../retry.js';

/** An attachment with its JSON columns parsed. */
export interface AttachmentRecord extends Omit<VolumeAttachmentTable, 'connection_info' | 'connector'> {
  connection_info: Record<string, unknown> | null;
  connector: Record<string, unknown> | null;
  /** The project of the attachment's volume (attachments are scoped by it). */
  project_id: string | null;
}

/** Attachment statuses (Cinder's `VolumeAttachStatus`). */
export const ATTACH_STATUS = {
  RESERVED: 'reserved',
  ATTACHING: 'attaching',
  ATTACHED: 'attached',
  DETACHING: 'detaching',
  DETACHED: 'detached',
  ERROR_ATTACHING: 'error_attaching',
  ERROR_DETACHING: 'error_detaching',
  DELETED: 'deleted',
} as const;

/** Columns a list may be filtered or sorted by (Cinder's model attributes). */
export const ATTACHMENT_COLUMNS = [
  'id',
  'volume_id',
  'instance_uuid',
  'attached_host',
  'mountpoint',
  'attach_time',
  'detach_time',
  'attach_status',
  'attach_mode',
  'created_at',
  'updated_at',
  'deleted_at',
  'deleted',
] as const;
export type AttachmentColumn = (typeof ATTACHMENT_COLUMNS)[number];

type Row = VolumeAttachmentTable & { project_id: string | null };

function parseJson(text: string | null): Record<string, unknown> | null {
  if (text === null || text === '') return null;
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function toRecord(r: Row): AttachmentRecord {
  return { ...r, connection_info: parseJson(r.connection_info), connector: parseJson(r.connector) };
}

function selectAttachments(db: Db) {
  return db
    .selectFrom('volume_attachment')
    .innerJoin('volumes', 'volumes.id', 'volume_attachment.volume_id')
    .selectAll('volume_attachment')
    .select('volumes.project_id as project_id');
}

/** Values of a new attachment (`volume_attach`); id, status and the rest given by the caller. */
export interface AttachmentCreateValues {
  id: string;
  volume_id: string;
  attach_status: string;
  instance_uuid?: string | null;
  attached_host?: string | null;
  mountpoint?: string | null;
  attach_mode?: string | null;
  connector?: Record<string, unknown> | null;
}

/** Inserts an attachment row. */
export async function attachmentCreate(db: Db, v: AttachmentCreateValues): Promise<void> {
  await db
    .insertInto('volume_attachment')
    .values({
      id: v.id,
      volume_id: v.volume_id,
      instance_uuid: v.instance_uuid ?? null,
      attached_host: v.attached_host ?? null,
      mountpoint: v.mountpoint ?? null,
      attach_time: null,
      detach_time: null,
      attach_status: v.attach_status,
      attach_mode: v.attach_mode ?? null,
      connection_info: null,
      connector: v.connector ? JSON.stringify(v.connector) : null,
      created_at: isoNow(),
      updated_at: null,
      deleted_at: null,
      deleted: 0,
    })
    .execute();
}

/** One live attachment, or null; `projectId` limits it to that project's volumes. */
export async function attachmentGet(
  db: Db,
  id: string,
  projectId?: string | null,
): Promise<AttachmentRecord | null> {
  let q = selectAttachments(db)
    .where('volume_attachment.id', '=', id)
    .where('volume_attachment.deleted', '=', 0);
  if (projectId) q = q.where('volumes.project_id', '=', projectId);
  const row = await q.executeTakeFirst();
  return row ? toRecord(row) : null;
}

const liveAttachmentsOf = preparedQuery((db, v: { ids: readonly string[] }) =>
  selectAttachments(db)
    .where('volume_attachment.volume_id', 'in', v.ids)
    .where('volume_attachment.deleted', '=', 0)
    .orderBy('volume_attachment.created_at')
    .orderBy('volume_attachment.id'),
);

/** The live attachments of the given volumes, oldest first, by volume id. */
export async function attachmentsByVolume(
  db: Db,
  volumeIds: readonly string[],
): Promise<Map<string, AttachmentRecord[]>> {
  const out = new Map<string, AttachmentRecord[]>();
  if (!volumeIds.length) return out;
  const { rows } = await liveAttachmentsOf(db, { ids: volumeIds });
  for (const r of rows) {
    const list = out.get(r.volume_id) ?? [];
    list.push(toRecord(r));
    out.set(r.volume_id, list);
  }
  return out;
}

/** The live attachments of one volume, oldest first. */
export async function attachmentsOfVolume(db: Db, volumeId: string): Promise<AttachmentRecord[]> {
  return (await attachmentsByVolume(db, [volumeId])).get(volumeId) ?? [];
}

/** Filters of an attachment list (already mapped to columns). */
export interface AttachmentListFilters {
  /** Only attachments of this project's volumes; null: every project. */
  projectId: string | null;
  columns?: Partial<Record<AttachmentColumn, string | number>>;
  like?: Partial<Record<AttachmentColumn, string>>;
}

/** Raised when a list's `marker` names no attachment (the API answers 400). */
export class AttachmentMarkerNotFound extends Error {
  constructor(readonly marker: string) {
    super(`Marker ${marker} could not be found.`);
  }
}

/** A page of attachments, sorted and paginated as Cinder's `_generate_paginate_query`. */
export async function attachmentList(
  db: Db,
  f: AttachmentListFilters,
  page: PageRequest,
): Promise<AttachmentRecord[]> {
  let q = selectAttachments(db).where('volume_attachment.deleted', '=', 0);
  if (f.projectId) q = q.where('volumes.project_id', '=', f.projectId);
  for (const [col, val] of Object.entries(f.columns ?? {}) as [AttachmentColumn, string | number][])
    q = q.where(`volume_attachment.${col}`, '=', val as never);
  for (const [col, val] of Object.entries(f.like ?? {}) as [AttachmentColumn, string][])
    q = q.where(`volume_attachment.${col}`, 'like', `%${val}%`);
  const sort = withTieBreakers(page.sort, ['id']);
  let marker: Record<string, unknown> | undefined;
  if (page.marker) {
    marker = await markerSortValues(db, 'volume_attachment', page.marker, sort);
    if (!marker) throw new AttachmentMarkerNotFound(page.marker);
  }
  const rows = await paginate(q, 'volume_attachment', sort, page, marker ?? null).execute();
  return rows.map(toRecord);
}

/** Updates an attachment; JSON columns are stringified. Returns whether a live row changed. */
export function attachmentUpdate(
  db: Db,
  id: string,
  values: Partial<Omit<VolumeAttachmentTable, 'connection_info' | 'connector'>> & {
    connection_info?: Record<string, unknown> | null;
    connector?: Record<string, unknown> | null;
  },
  expected: Expected<'volume_attachment'> = {},
): Promise<boolean> {
  const { connection_info, connector, ...rest } = values;
  const row: Partial<VolumeAttachmentTable> = { ...rest };
  if (connection_info !== undefined)
    row.connection_info = connection_info === null ? null : JSON.stringify(connection_info);
  if (connector !== undefined) row.connector = connector === null ? null : JSON.stringify(connector);
  return conditionalUpdate(db, 'volume_attachment', id, row, expected);
}

/**
 * `volume_attached`: the attachment records where it is attached (`attached`, or `attaching` when
 * `markAttached` is false) and the volume takes the matching status (`in-use` / `attaching`).
 * Returns false when the attachment is gone.
 */
export async function volumeAttached(
  db: Db,
  attachmentId: string,
  a: {
    instance_uuid: string | null;
    attached_host: string | null;
    mountpoint: string | null;
    attach_mode: string;
    markAttached: boolean;
  },
): Promise<boolean> {
  const attached = a.markAttached;
  const row = await db
    .selectFrom('volume_attachment')
    .select('volume_id')
    .where('id', '=', attachmentId)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  if (!row) return false;
  await attachmentUpdate(db, attachmentId, {
    mountpoint: a.mountpoint,
    attach_status: attached ? ATTACH_STATUS.ATTACHED : ATTACH_STATUS.ATTACHING,
    instance_uuid: a.instance_uuid,
    attached_host: a.attached_host,
    attach_time: isoNow(),
    attach_mode: a.attach_mode,
  });
  await conditionalUpdate(
    db,
    'volumes',
    row.volume_id,
    { status: attached ? 'in-use' : 'attaching', attach_status: attached ? 'attached' : 'attaching' },
    {},
  );
  return true;
}

/**
 * The volume's `status` and `attach_status` from its live attachments (Cinder's
 * `_get_statuses_from_attachments`): errored ones are ignored, the first status in alphabetical
 * order wins (attached > attaching > detaching > reserved), none means `detached`/`available`.
 */
export async function statusesFromAttachments(
  db: Db,
  volumeId: string,
): Promise<{ status: string; attach_status: string }> {
  const row = await db
    .selectFrom('volume_attachment')
    .select('attach_status')
    .where('volume_id', '=', volumeId)
    .where('deleted', '=', 0)
    .where('attach_status', 'not like', 'error_%')
    .orderBy('attach_status')
    .limit(1)
    .executeTakeFirst();
  const attachStatus = row?.attach_status ?? ATTACH_STATUS.DETACHED;
  const status =
    attachStatus === 'attached' ? 'in-use' : attachStatus === 'detached' ? 'available' : attachStatus;
  return { status, attach_status: attachStatus };
}

/** Soft-deletes an attachment (`attachment_destroy`/the model's delete values). */
async function attachmentDestroy(db: Db, id: string): Promise<boolean> {
  const now = isoNow();
  const res = await db
    .updateTable('volume_attachment')
    .set({ ...softDeleteValues(now), attach_status: ATTACH_STATUS.DETACHED, detach_time: now })
    .where('id', '=', id)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/**
 * `volume_detached` (the volume's `finish_detach`): in one transaction with the volume row locked,
 * the attachment is deleted and the volume's `status`/`attach_status` recomputed from those left.
 * The status is left alone while a migration or an upload owns it and nothing is attached any
 * more. The volume's `attached_mode` admin metadata goes. Returns the volume's new statuses.
 */
export async function volumeDetached(
  h: DatabaseHandle,
  volumeId: string,
  attachmentId: string | null,
): Promise<{ status?: string; attach_status: string }> {
  return h.db.transaction().execute(async (trx) => {
    const volume = await lockedUnlessSqlite(
      h.dialect,
      trx
        .selectFrom('volumes')
        .select(['status', 'migration_status'])
        .where('id', '=', volumeId)
        .where('deleted', '=', 0),
    ).executeTakeFirst();
    if (attachmentId) await attachmentDestroy(trx, attachmentId);
    const { status, attach_status } = await statusesFromAttachments(trx, volumeId);
    if (!volume) return { attach_status };
    const updates: { status?: string; attach_status: string } = { attach_status };
    const m = volume.migration_status;
    if (
      attach_status !== 'detached' ||
      (!m && volume.status !== 'uploading') ||
      m === 'success' ||
      m === 'error'
    )
      updates.status = status;
    await conditionalUpdate(trx, 'volumes', volumeId, updates, {});
    await trx
      .updateTable('volume_admin_metadata')
      .set(softDeleteValues())
      .where('volume_id', '=', volumeId)
      .where('key', '=', 'attached_mode')
      .where('deleted', '=', 0)
      .execute();
    return updates;
  });
}

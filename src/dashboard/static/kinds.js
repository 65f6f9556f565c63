// The three kinds of resource the dashboard lists: their API paths, statuses and columns.
import { badge, gib, h, shortId, timeCell } from './dom.js';

/** A link to a volume's page. */
export const volumeLink = (id, text) =>
  id
    ? h('a', { href: `#/volume/${encodeURIComponent(id)}`, class: 'volume-link' }, text ?? shortId(id))
    : '—';

const nameOf = (r) => r.name || r.display_name || '';

export const KINDS = {
  volumes: {
    title: 'Volumes',
    one: 'volume',
    list: 'volumes/detail',
    key: 'volumes',
    show: (id) => `volumes/${encodeURIComponent(id)}`,
    statuses: [
      'creating',
      'available',
      'reserved',
      'attaching',
      'in-use',
      'detaching',
      'maintenance',
      'extending',
      'retyping',
      'downloading',
      'uploading',
      'backing-up',
      'restoring-backup',
      'awaiting-transfer',
      'deleting',
      'error',
      'error_deleting',
      'error_extending',
      'error_backing-up',
      'error_restoring',
      'error_managing',
    ],
    project: (r) => r['os-vol-tenant-attr:tenant_id'],
    /** The volume a row belongs to (its page is the one to open). */
    volumeId: (r) => r.id,
    columns: ['Name', 'ID', 'Status', 'Size', 'Type', 'Host', 'Project', 'Attached to', 'Created'],
    cells: (r) => [
      volumeLink(r.id, nameOf(r) || h('span', { class: 'muted' }, '(no name)')),
      shortId(r.id),
      badge(r.status),
      gib(r.size),
      r.volume_type ?? '—',
      r['os-vol-host-attr:host'] ?? '—',
      r['os-vol-tenant-attr:tenant_id'] ?? '—',
      (r.attachments ?? []).map((a) => h('div', null, a.server_id ?? a.host_name ?? a.attachment_id)),
      timeCell(r.created_at),
    ],
  },
  snapshots: {
    title: 'Snapshots',
    one: 'snapshot',
    list: 'snapshots/detail',
    key: 'snapshots',
    show: (id) => `snapshots/${encodeURIComponent(id)}`,
    statuses: [
      'creating',
      'available',
      'backing-up',
      'restoring',
      'unmanaging',
      'deleting',
      'error',
      'error_deleting',
    ],
    project: (r) => r['os-extended-snapshot-attributes:project_id'],
    volumeId: (r) => r.volume_id,
    columns: ['Name', 'ID', 'Status', 'Size', 'Volume', 'Project', 'Created'],
    cells: (r) => [
      nameOf(r) || h('span', { class: 'muted' }, '(no name)'),
      shortId(r.id),
      badge(r.status),
      gib(r.size),
      volumeLink(r.volume_id),
      r['os-extended-snapshot-attributes:project_id'] ?? '—',
      timeCell(r.created_at),
    ],
  },
  backups: {
    title: 'Backups',
    one: 'backup',
    list: 'backups/detail',
    key: 'backups',
    show: (id) => `backups/${encodeURIComponent(id)}`,
    statuses: [
      'creating',
      'available',
      'restoring',
      'deleting',
      'error',
      'error_deleting',
      'error_restoring',
    ],
    project: (r) => r['os-backup-project-attr:project_id'],
    volumeId: (r) => r.volume_id,
    columns: ['Name', 'ID', 'Status', 'Size', 'Volume', 'Incremental', 'Objects', 'Project', 'Created'],
    cells: (r) => [
      nameOf(r) || h('span', { class: 'muted' }, '(no name)'),
      shortId(r.id),
      badge(r.status),
      gib(r.size),
      volumeLink(r.volume_id),
      r.is_incremental ? 'yes' : 'no',
      r.object_count ?? '—',
      r['os-backup-project-attr:project_id'] ?? '—',
      timeCell(r.created_at),
    ],
  },
};

export const nameOrId = (r) => nameOf(r) || r.id;

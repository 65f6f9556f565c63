/**
 * Backup and restore progress (issue 13 item 4), in both modes: with a small `backup_file_size`
 * and `backup_object_number_per_notification`, a backup of a volume holding data in several
 * places emits `backup.createprogress` notifications (Cinder's chunked driver) with a growing
 * `backup_percent` ending at 100, and the backup's `object_count` moves while it is still
 * `creating`; a restore emits Kindling's `backup.restoreprogress` the same way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestKindling, waitFor, waitForVolumeStatus } from '../support/kindling.js';
import { availableVolume } from '../support/snapshots.js';
import {
  BACKUP_WAIT_MS,
  MiB,
  pattern,
  readVolume,
  waitForBackupStatus,
  writeVolume,
} from './backups-support.js';

/** 1 GiB read in chunks of 16 MiB, a notification every 2 chunks (every 2 objects restored). */
const PROGRESS_ENV = {
  KINDLING__DEFAULT__backup_file_size: String(16 * MiB),
  KINDLING__DEFAULT__backup_object_number_per_notification: '2',
  KINDLING__DEFAULT__backup_compression_algorithm: 'none',
};

/** Where data is written: 3 MiB at each, so each place is one object of its own. */
const PLACES = [0, 150, 300, 450, 600, 750, 900].map((m) => m * MiB);

test('a backup reports its progress as it goes: createprogress notifications, object_count moving', async (t) => {
  const k = await startTestKindling(PROGRESS_ENV);
  t.after(() => k.close());
  const v = await availableVolume(k, { size: 1 });
  for (const [i, at] of PLACES.entries()) await writeVolume(k, v.id, at, pattern(`place-${i}`, 3 * MiB));

  const c = await k.req('POST', '/v3/admin/backups', { backup: { volume_id: v.id, name: 'progress' } });
  assert.equal(c.status, 202, c.text);
  const id = c.body.backup.id as string;
  const b = await waitForBackupStatus(k, id, ['available']);
  assert.equal(b.object_count, PLACES.length);

  const progress = await waitFor(async () => {
    const all = k.notifications.sent.filter(
      (n) => n.event_type === 'backup.createprogress' && n.payload.backup_id === id,
    );
    return all.some((n) => n.payload.backup_percent === 100) && all;
  }, BACKUP_WAIT_MS);
  // NOTE: distributed, notifications come back through RabbitMQ queues: order them by percent.
  const seen = progress
    .map((n) => n.payload as Record<string, any>)
    .sort((a, b) => a.backup_percent - b.backup_percent || a.object_count - b.object_count);
  assert.ok(seen.length >= 5, `${seen.length} progress notifications`);
  assert.equal(seen.at(-1)!.backup_percent, 100);
  assert.equal(seen.at(-1)!.object_count, PLACES.length);
  for (let i = 1; i < seen.length; i++)
    assert.ok(seen[i]!.object_count >= seen[i - 1]!.object_count, JSON.stringify(seen));
  // The record moved before the end: a notification sent while the backup was still being made
  // carries object_count as the row had it then.
  const midway = seen.filter((p) => p.backup_percent < 100 && p.status === 'creating' && p.object_count > 0);
  assert.ok(
    midway.length >= 2,
    JSON.stringify(seen.map((p) => [p.backup_percent, p.status, p.object_count])),
  );
  assert.ok(new Set(midway.map((p) => p.object_count)).size >= 2, 'object_count grows during the backup');
  // Cinder's payload: the backup's usage plus the chunked driver's object meta.
  const p = seen[0]!;
  for (const key of [
    'tenant_id',
    'user_id',
    'availability_zone',
    'backup_id',
    'host',
    'display_name',
    'status',
  ])
    assert.ok(key in p, key);
  assert.equal(p.volume_id, v.id);
  assert.equal(p.prefix, b.service_metadata ?? p.prefix);
  assert.equal(p.id, p.object_count + 1);
  assert.ok(p.backup_percent > 0 && p.backup_percent < 100);

  // The restore reports too (Kindling's backup.restoreprogress; Cinder sends none).
  const target = await availableVolume(k, { size: 1, name: 'target' });
  const r = await k.req('POST', `/v3/admin/backups/${id}/restore`, { restore: { volume_id: target.id } });
  assert.equal(r.status, 202, r.text);
  await waitForVolumeStatus(k, target.id, ['available'], BACKUP_WAIT_MS);
  const restored = await waitFor(async () => {
    const all = k.notifications.sent.filter(
      (n) => n.event_type === 'backup.restoreprogress' && n.payload.backup_id === id,
    );
    return all.some((n) => n.payload.restore_percent === 100) && all;
  }, BACKUP_WAIT_MS);
  const steps = restored
    .map((n) => n.payload as Record<string, any>)
    .sort((a, b) => a.restore_percent - b.restore_percent);
  assert.ok(steps.length >= 3, JSON.stringify(steps.map((s) => s.restore_percent)));
  assert.equal(steps.at(-1)!.object_count, PLACES.length);
  for (const s of steps) assert.equal(s.restore_volume_id, target.id);
  for (const [i, at] of PLACES.entries())
    assert.deepEqual(await readVolume(k, target.id, at, 3 * MiB), pattern(`place-${i}`, 3 * MiB));
});

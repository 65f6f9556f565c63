/**
 * `os-migrate_volume` between two file backends: the data moves with the volume (migration status
 * `success`), the source copy goes; a target that cannot take it leaves migration status `error`
 * and the volume where it was; every precondition with Cinder's code and message. Also the
 * answers `os-migrate_volume_completion` gives without a host-assisted migration.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { startTestKindling, waitFor, type TestKindling } from '../support/kindling.js';
import {
  act,
  availableVolume,
  fault,
  readAt,
  TWO_BACKENDS,
  usage,
  volumeFile,
  volumeRow,
  volumeType,
  writeAt,
} from './volume-actions-support.js';

const GiB = 1024 ** 3;

/** The backend a volume on `host` (`h@alpha#alpha` or `h@beta#beta`) can migrate to. */
function otherBackend(host: string): { there: string; other: string } {
  const here = host.includes('@alpha#') ? 'alpha' : 'beta';
  const there = here === 'alpha' ? 'beta' : 'alpha';
  return { there, other: host.replace(`@${here}#${here}`, `@${there}`) };
}

/** Waits until the volume's migration status is one of `statuses`; its view. */
async function migrated(k: TestKindling, id: string, statuses: string[]): Promise<any> {
  return waitFor(async () => {
    const v = (await k.req('GET', `/v3/admin/volumes/${id}`)).body.volume;
    return statuses.includes(v.migration_status) && v;
  });
}

test('migrate to the other file backend: data intact, host switched, source removed', async (t) => {
  const k = await startTestKindling(TWO_BACKENDS);
  t.after(() => k.close());
  // The default type pins no backend: the volume may live on either.
  const v = await availableVolume(k, { size: 2 });
  const host = v['os-vol-host-attr:host'] as string;
  const { there, other } = otherBackend(host);
  const source = await volumeFile(k, v.id);
  await writeAt(source, 0, 'first block');
  await writeAt(source, 2 * GiB - 10, 'last bytes');

  const r = await act(k, v.id, { 'os-migrate_volume': { host: other, lock_volume: true } });
  assert.deepEqual([r.status, r.text], [202, '']);
  const done = await migrated(k, v.id, ['success', 'error']);
  assert.equal(done.migration_status, 'success');
  assert.equal(done['os-vol-host-attr:host'], `${other}#${there}`);
  assert.equal(done.status, 'available');
  assert.equal(done.size, 2);
  const target = await volumeFile(k, v.id);
  assert.notEqual(dirname(target), dirname(source));
  assert.equal(await readAt(target, 0, 11), 'first block');
  assert.equal(await readAt(target, 2 * GiB - 10, 10), 'last bytes');
  assert.equal(existsSync(source), false);
  assert.equal((await readdir(dirname(target))).filter((f) => f.startsWith('.')).length, 0);
  const q = await usage(k);
  assert.deepEqual([q.volumes.in_use, q.gigabytes.in_use, q.gigabytes.reserved], [1, 2, 0]);
  // The volume keeps working where it is now.
  assert.equal((await act(k, v.id, { 'os-extend': { new_size: 3 } })).status, 202);
  await waitFor(async () => (await volumeRow(k, v.id)).size === 3);
});

test('migrate preconditions, and targets that cannot take the volume', async (t) => {
  const k = await startTestKindling(TWO_BACKENDS);
  t.after(() => k.close());
  // A type pinned to alpha: beta does not satisfy it, so the backend refuses the migration.
  await volumeType(k, 'on-alpha', { volume_backend_name: 'alpha' });
  const pinned = await availableVolume(k, { volume_type: 'on-alpha' });
  const beta = (pinned['os-vol-host-attr:host'] as string).replace(/@alpha#alpha$/, '@beta');
  assert.equal((await act(k, pinned.id, { 'os-migrate_volume': { host: beta } })).status, 202);
  const stayed = await migrated(k, pinned.id, ['error', 'success']);
  assert.deepEqual(
    [stayed.migration_status, stayed.status, stayed['os-vol-host-attr:host']],
    ['error', 'available', pinned['os-vol-host-attr:host']],
  );

  const v = await availableVolume(k);
  const id = v.id;
  const host = v['os-vol-host-attr:host'] as string;
  const { other } = otherBackend(host);
  const refused = fault(
    400,
    `Invalid volume: Volume ${id} status must be available or in-use, must not be migrating, have snapshots, be replicated, be part of a group and destination host/cluster must be different than the current one`,
  );
  assert.deepEqual(
    (await act(k, id, { 'os-migrate_volume': { host: 'nowhere@x#y' } })).body,
    fault(400, "Invalid host: No available service named 'nowhere@x#y'"),
  );
  assert.deepEqual((await act(k, id, { 'os-migrate_volume': { host } })).body, refused);
  assert.deepEqual(
    (await act(k, id, { 'os-migrate_volume': { host: '' } })).body,
    fault(400, 'Invalid input received: Host field is missing.'),
  );
  assert.deepEqual(
    (await act(k, id, { 'os-migrate_volume': { host: other, cluster: 'c' } }, '3.16')).body,
    fault(400, 'Invalid input received: One and only one of cluster and host must be set.'),
  );
  assert.deepEqual(
    (await act(k, id, { 'os-migrate_volume': {} })).body,
    fault(
      400,
      "Invalid input for field/attribute os-migrate_volume. Value: {}. 'host' is a required property",
    ),
  );
  await act(k, id, { 'os-reset_status': { status: 'error' } });
  assert.deepEqual((await act(k, id, { 'os-migrate_volume': { host: other } })).body, refused);
  await act(k, id, { 'os-reset_status': { status: 'available', migration_status: 'migrating' } });
  assert.deepEqual((await act(k, id, { 'os-migrate_volume': { host: other } })).body, refused);
  await act(k, id, { 'os-reset_status': { migration_status: 'none' } });
  const snap = await k.req('POST', '/v3/admin/snapshots', { snapshot: { volume_id: id } });
  assert.equal(snap.status, 202, snap.text);
  assert.deepEqual((await act(k, id, { 'os-migrate_volume': { host: other } })).body, refused);
  const snapUrl = `/v3/admin/snapshots/${snap.body.snapshot.id}`;
  await waitFor(async () => (await k.req('GET', snapUrl)).body.snapshot.status === 'available');
  assert.equal((await k.req('DELETE', snapUrl)).status, 202);
  await waitFor(async () => (await k.req('GET', snapUrl)).status === 404);

  // The service exists but has no such pool: the volume stays where it was.
  const r = await act(k, id, { 'os-migrate_volume': { host: `${other}#nopool` } });
  assert.equal(r.status, 202, r.text);
  const failed = await migrated(k, id, ['error', 'success']);
  assert.deepEqual(
    [failed.migration_status, failed.status, failed['os-vol-host-attr:host']],
    ['error', 'available', host],
  );
  assert.ok(existsSync(await volumeFile(k, id)));
  const note = await k.notifications.waitFor(
    (n) => n.event_type === 'scheduler.migrate_volume_to_host' && n.payload.volume_id === id,
  );
  assert.equal(
    note.payload.reason,
    `No valid backend was found. Cannot place volume ${id} on ${other}#nopool.`,
  );
});

test('os-migrate_volume_completion without a host-assisted migration', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const a = await availableVolume(k);
  const b = await availableVolume(k);
  const complete = () => act(k, a.id, { 'os-migrate_volume_completion': { new_volume: b.id } });
  const r = await complete();
  assert.deepEqual([r.status, r.body], [200, { save_volume_id: b.id }]);
  await act(k, a.id, { 'os-reset_status': { migration_status: 'migrating' } });
  assert.deepEqual(
    (await complete()).body,
    fault(400, 'Invalid volume: Destination volume not mid-migration.'),
  );
  await act(k, b.id, { 'os-reset_status': { migration_status: 'error' } });
  assert.deepEqual(
    (await complete()).body,
    fault(400, `Invalid volume: Destination has migration_status error, expected target:${a.id}.`),
  );
  await act(k, a.id, { 'os-reset_status': { migration_status: 'none' } });
  assert.deepEqual((await complete()).body, fault(400, 'Invalid volume: Source volume not mid-migration.'));
});

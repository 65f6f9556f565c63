/**
 * Manage / unmanage on the `file` driver (Cinder's volume_manage, snapshot_manage, os-unmanage):
 * a file written outside Kindling is adopted with its bytes (renamed `volume-<id>`, sized rounded up
 * to GiB, its gigabytes charged), is listed as manageable before and as Kindling's own after;
 * refusals with Cinder's codes and texts; a failed manage leaves the file as it was; unmanage keeps
 * the file and gives the quota back, and the file can be managed again (Tempest's round trip);
 * snapshots likewise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { volumeRow as newVolumeRow } from '../support/volume-row.js';
import { existsSync } from 'node:fs';
import { open, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isAllowed } from '../../src/auth/policy.js';
import type { RequestContext } from '../../src/common/context.js';
import {
  mv,
  onlyIn,
  startTestKindling,
  waitFor,
  waitForVolumeStatus,
  type TestKindling,
} from '../support/kindling.js';
import { randomUUID } from 'node:crypto';
import { volumeCreate } from '../../src/db/api/volumes.js';
import {
  act,
  availableVolume,
  fault,
  readAt,
  usage,
  volumeFile,
  volumeRow,
  writeAt,
} from './volume-actions-support.js';

const GiB = 1024 ** 3;
const V38 = mv('3.8');

function dirOf(k: TestKindling): string {
  return k.core.config.backends.file!.file_volume_dir;
}

/** `host@file` of the test's file backend. */
async function backendHost(k: TestKindling): Promise<string> {
  const r = await k.req('GET', '/v3/admin/scheduler-stats/get_pools');
  assert.equal(r.status, 200, r.text);
  const name = r.body.pools[0].name as string;
  return name.slice(0, name.indexOf('#'));
}

/** A sparse file of `bytes` in the backend's directory with text at its start and near its end. */
async function legacyFile(k: TestKindling, name: string, bytes: number, head: string, tail: string) {
  const path = join(dirOf(k), name);
  await writeFile(path, '');
  await truncate(path, bytes);
  await writeAt(path, 0, head);
  await writeAt(path, bytes - 100, tail);
  return path;
}

function manage(k: TestKindling, volume: Record<string, unknown>, headers = V38) {
  return k.req('POST', '/v3/admin/manageable_volumes', { volume }, headers);
}

async function snapshotStatus(k: TestKindling, id: string, statuses: string[]): Promise<any> {
  return waitFor(async () => {
    const r = await k.req('GET', `/v3/admin/snapshots/${id}`);
    return statuses.includes(r.body?.snapshot?.status) && r.body.snapshot;
  });
}

test('manage a file written outside Kindling: bytes kept, size rounded up, quota charged, listed', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const host = await backendHost(k);
  const before = await usage(k);
  const src = await legacyFile(k, 'legacy.img', 1.5 * GiB, 'legacy head', 'legacy tail');

  // Before: listed as manageable, safe, 2 GiB.
  const listed = await k.req('GET', `/v3/admin/manageable_volumes/detail?host=${host}`, undefined, V38);
  assert.equal(listed.status, 200, listed.text);
  assert.deepEqual(
    listed.body['manageable-volumes'].find((e: any) => e.reference['source-name'] === 'legacy.img'),
    {
      reference: { 'source-name': 'legacy.img' },
      size: 2,
      safe_to_manage: true,
      reason_not_safe: null,
      cinder_id: null,
      extra_info: null,
    },
  );

  const r = await manage(k, {
    host,
    ref: { 'source-name': 'legacy.img' },
    name: ' adopted ',
    metadata: { origin: 'legacy' },
    bootable: true,
  });
  assert.equal(r.status, 202, r.text);
  // Cinder's views show `managing` as `creating` and `error_managing` as `error`.
  assert.equal(r.body.volume.status, 'creating');
  assert.equal(r.body.volume.size, 0);
  assert.equal(r.body.volume.name, 'adopted');
  const v = await waitForVolumeStatus(k, r.body.volume.id, ['available', 'error']);
  assert.equal(v.status, 'available');
  assert.equal(v.size, 2);
  assert.equal(v.bootable, 'true');
  assert.deepEqual(v.metadata, { origin: 'legacy' });
  assert.equal(v['os-vol-host-attr:host'], `${host}#file`);
  const path = await volumeFile(k, v.id);
  assert.equal(path, join(dirOf(k), `volume-${v.id}`));
  assert.equal(existsSync(src), false, 'the file was renamed');
  assert.equal((await stat(path)).size, 1.5 * GiB, 'nothing written: the file keeps its length');
  assert.equal(await readAt(path, 0, 11), 'legacy head');
  assert.equal(await readAt(path, 1.5 * GiB - 100, 11), 'legacy tail');

  const after = await usage(k);
  assert.equal(after.volumes.in_use, before.volumes.in_use + 1);
  assert.equal(after.gigabytes.in_use, before.gigabytes.in_use + 2);
  await k.notifications.waitForEvents(['volume.manage_existing.start', 'volume.manage_existing.end']);

  // Kindling's own now: listed, not safe.
  const own = await k.req('GET', `/v3/admin/manageable_volumes/detail?host=${host}`, undefined, V38);
  const entry = own.body['manageable-volumes'].find(
    (e: any) => e.reference['source-name'] === `volume-${v.id}`,
  );
  assert.deepEqual(
    { safe: entry.safe_to_manage, reason: entry.reason_not_safe, id: entry.cinder_id, size: entry.size },
    { safe: false, reason: 'Volume already managed.', id: v.id, size: 2 },
  );
  const summary = await k.req('GET', `/v3/admin/manageable_volumes?host=${host}`, undefined, V38);
  assert.deepEqual(Object.keys(summary.body['manageable-volumes'][0]).sort(), [
    'reference',
    'safe_to_manage',
    'size',
  ]);

  // The bytes read through a snapshot and a volume made from it.
  const snap = await k.req('POST', '/v3/admin/snapshots', { snapshot: { volume_id: v.id } });
  assert.equal(snap.status, 202, snap.text);
  await snapshotStatus(k, snap.body.snapshot.id, ['available']);
  const clone = await availableVolume(k, { snapshot_id: snap.body.snapshot.id, size: 2 });
  const clonePath = await volumeFile(k, clone.id);
  assert.equal(await readAt(clonePath, 0, 11), 'legacy head');
  assert.equal(await readAt(clonePath, 1.5 * GiB - 100, 11), 'legacy tail');
});

test('refusals: version, host, already managed, type, body; a bad reference ends error_managing', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const host = await backendHost(k);
  const mine = await availableVolume(k);

  // Before 3.8 the v3 path does not exist; the os-volume-manage path does.
  const old = await k.req('POST', '/v3/admin/manageable_volumes', { volume: { host, ref: {} } }, mv('3.7'));
  assert.equal(old.status, 404);
  const noHost = await k.req('POST', '/v3/admin/os-volume-manage', {
    volume: { ref: { 'source-name': 'x' } },
  });
  assert.deepEqual(
    [noHost.status, noHost.body],
    [400, fault(400, 'Invalid input received: Host field is missing.')],
  );
  const both = await manage(k, { host, cluster: 'c', ref: { 'source-name': 'x' } }, mv('3.16'));
  assert.deepEqual(
    [both.status, both.body],
    [400, fault(400, 'Invalid input received: One and only one of cluster and host must be set.')],
  );
  const unknownHost = await manage(k, { host: 'nohost@file', ref: { 'source-name': 'x' } });
  assert.deepEqual([unknownHost.status, unknownHost.body], [400, fault(400, "Host 'nohost@file' not found")]);
  const already = await manage(k, { host, ref: { 'source-name': `volume-${mine.id}` } });
  assert.deepEqual(
    [already.status, already.body],
    [400, fault(400, 'Invalid volume: Unable to manage existing volume. The volume is already managed')],
  );
  const bySourceId = await manage(k, { host, ref: { 'source-id': mine.id } });
  assert.equal(bySourceId.status, 400, bySourceId.text);
  const badType = await manage(k, { host, ref: { 'source-name': 'x' }, volume_type: 'nosuchtype' });
  assert.deepEqual(
    [badType.status, badType.body],
    [400, fault(400, "Invalid volume type: Cannot find requested 'nosuchtype' volume type")],
  );
  const noRef = await manage(k, { host });
  assert.equal(noRef.status, 400);
  assert.match(noRef.text, /'ref' is a required property/);
  const extra = await manage(k, { host, ref: 'x', size: 3 });
  assert.equal(extra.status, 400);

  // A reference to nothing: accepted, then error_managing; one volume counted, no gigabytes.
  const before = await usage(k);
  const missing = await manage(k, { host, ref: { 'source-name': 'nothing-here.img' } });
  assert.equal(missing.status, 202, missing.text);
  const failed = await waitForVolumeStatus(k, missing.body.volume.id, ['error', 'available']);
  assert.equal(failed.status, 'error');
  assert.equal((await volumeRow(k, failed.id)).status, 'error_managing');
  assert.equal(failed.size, 0);
  const during = await usage(k);
  assert.equal(during.volumes.in_use, before.volumes.in_use + 1);
  assert.equal(during.gigabytes.in_use, before.gigabytes.in_use);
  const del = await k.req('DELETE', `/v3/admin/volumes/${failed.id}`);
  assert.equal(del.status, 202, del.text);
  await waitFor(async () => (await k.req('GET', `/v3/admin/volumes/${failed.id}`)).status === 404);
  assert.equal((await usage(k)).volumes.in_use, before.volumes.in_use);

  // A qcow2 image: refused by the driver, the file left as it was (name and bytes).
  const qcow = join(dirOf(k), 'disk.qcow2');
  const header = Buffer.concat([Buffer.from([0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3]), Buffer.alloc(504)]);
  await writeFile(qcow, header);
  const q = await manage(k, { host, ref: { 'source-name': 'disk.qcow2' } });
  assert.equal(q.status, 202, q.text);
  assert.equal((await waitForVolumeStatus(k, q.body.volume.id, ['error', 'available'])).status, 'error');
  assert.deepEqual(await readFile(qcow), header);
  const listed = await k.req('GET', `/v3/admin/manageable_volumes/detail?host=${host}`, undefined, V38);
  const e = listed.body['manageable-volumes'].find((x: any) => x.reference['source-name'] === 'disk.qcow2');
  assert.deepEqual([e.safe_to_manage, e.reason_not_safe], [false, "Unsupported image format: 'qcow2'."]);

  // Hidden files and paths out of the directory are refused by the driver.
  const outside = await manage(k, { host, ref: { 'source-name': '/etc/passwd' } });
  assert.equal(outside.status, 202);
  assert.equal(
    (await waitForVolumeStatus(k, outside.body.volume.id, ['error', 'available'])).status,
    'error',
  );
  assert.ok(existsSync('/etc/passwd'));
});

test('manage and list need an admin; lists need host or cluster and take Cinder sort keys', async (t) => {
  const member: RequestContext = {
    userId: 'u',
    projectId: 'p',
    isAdmin: false,
    roles: ['member'],
    requestId: 'r',
  };
  for (const rule of [
    'volume_extension:volume_manage',
    'volume_extension:list_manageable',
    'volume_extension:volume_unmanage',
    'snapshot_extension:snapshot_manage',
    'snapshot_extension:list_manageable',
    'snapshot_extension:snapshot_unmanage',
  ])
    assert.equal(isAllowed(member, rule, 'p'), false, rule);

  const k = await startTestKindling();
  t.after(() => k.close());
  const host = await backendHost(k);
  for (const name of ['a.img', 'b.img', 'c.img'])
    await legacyFile(k, name, (name.charCodeAt(0) - 96) * GiB, 'x', 'y');
  const noHost = await k.req('GET', '/v3/admin/manageable_volumes', undefined, V38);
  assert.deepEqual(
    [noHost.status, noHost.body],
    [400, fault(400, 'Invalid input received: Host field is missing.')],
  );
  const badKey = await k.req('GET', `/v3/admin/manageable_volumes?host=${host}&sort=name`, undefined, V38);
  assert.deepEqual([badKey.status, badKey.body], [400, fault(400, 'Invalid sort keys passed: name')]);
  const unknown = await k.req('GET', '/v3/admin/manageable_volumes?host=nohost@file', undefined, V38);
  assert.equal(unknown.status, 404, unknown.text);
  const refs = async (q: string) =>
    (await k.req('GET', `/v3/admin/manageable_volumes?host=${host}&${q}`, undefined, V38)).body[
      'manageable-volumes'
    ].map((e: any) => e.reference['source-name']);
  assert.deepEqual(await refs('sort=reference:asc'), ['a.img', 'b.img', 'c.img']);
  assert.deepEqual(await refs(''), ['c.img', 'b.img', 'a.img']);
  assert.deepEqual(await refs('sort=size:desc&limit=2'), ['c.img', 'b.img']);
  assert.deepEqual(await refs('sort=size:asc&offset=1'), ['b.img', 'c.img']);
  const marker = encodeURIComponent(JSON.stringify({ 'source-name': 'a.img' }));
  assert.deepEqual(await refs(`sort=reference:asc&marker=${marker}`), ['b.img', 'c.img']);
  const badMarker = await k.req(
    'GET',
    `/v3/admin/manageable_volumes?host=${host}&marker=nope`,
    undefined,
    V38,
  );
  assert.equal(badMarker.status, 400, badMarker.text);
  // The os-volume-manage paths at 3.0.
  const legacy = await k.req('GET', `/v3/admin/os-volume-manage/detail?host=${host}`);
  assert.equal(legacy.status, 200, legacy.text);
  assert.equal(legacy.body['manageable-volumes'].length, 3);
});

test('unmanage keeps the file and gives the quota back; the file is managed again by its name', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const host = await backendHost(k);
  const before = await usage(k);
  const v = await availableVolume(k, { size: 2 });
  const path = await volumeFile(k, v.id);
  await writeAt(path, 4096, 'kept across unmanage');

  const r = await act(k, v.id, { 'os-unmanage': null });
  assert.deepEqual([r.status, r.text], [202, '']);
  await waitFor(async () => (await k.req('GET', `/v3/admin/volumes/${v.id}`)).status === 404);
  assert.equal(await readAt(path, 4096, 20), 'kept across unmanage');
  const released = await usage(k);
  assert.equal(released.volumes.in_use, before.volumes.in_use);
  assert.equal(released.gigabytes.in_use, before.gigabytes.in_use);
  await k.notifications.waitForEvents(['volume.unmanage.start', 'volume.unmanage.end']);

  // Listed as manageable now, and managed back (Tempest's test_unmanage_manage_volume).
  const listed = await k.req('GET', `/v3/admin/manageable_volumes/detail?host=${host}`, undefined, V38);
  const e = listed.body['manageable-volumes'].find(
    (x: any) => x.reference['source-name'] === `volume-${v.id}`,
  );
  assert.deepEqual([e.safe_to_manage, e.cinder_id, e.size], [true, null, 2]);
  const m = await manage(k, {
    host: v['os-vol-host-attr:host'],
    ref: { 'source-name': `volume-${v.id}` },
    name: 'back',
  });
  assert.equal(m.status, 202, m.text);
  const again = await waitForVolumeStatus(k, m.body.volume.id, ['available', 'error']);
  assert.equal(again.status, 'available');
  assert.equal(again.size, 2);
  assert.equal(await readAt(await volumeFile(k, again.id), 4096, 20), 'kept across unmanage');
  assert.equal((await usage(k)).gigabytes.in_use, before.gigabytes.in_use + 2);

  // Unmanage refusals: an attached-like status, a missing volume.
  const missing = await act(k, '00000000-0000-4000-8000-000000000000', { 'os-unmanage': null });
  assert.equal(missing.status, 404);
  await k.req('POST', `/v3/admin/volumes/${again.id}/action`, {
    'os-reset_status': { status: 'error_deleting' },
  });
  const busy = await act(k, again.id, { 'os-unmanage': null });
  assert.equal(busy.status, 400, busy.text);
  assert.match(busy.body.badRequest.message, /^Invalid volume: Volume status must be available or error/);
});

test('snapshots: unmanage keeps the file, it is listed, managed back, and its bytes read', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const host = await backendHost(k);
  const v = await availableVolume(k);
  await writeAt(await volumeFile(k, v.id), 0, 'snapshot bytes');
  const s = await k.req('POST', '/v3/admin/snapshots', { snapshot: { volume_id: v.id } });
  const sid = s.body.snapshot.id as string;
  await snapshotStatus(k, sid, ['available']);
  const before = await usage(k);

  const u = await k.req('POST', `/v3/admin/snapshots/${sid}/action`, { 'os-unmanage': null });
  assert.deepEqual([u.status, u.text], [202, '']);
  await waitFor(async () => (await k.req('GET', `/v3/admin/snapshots/${sid}`)).status === 404);
  const file = join(dirOf(k), `snapshot-${sid}`);
  assert.equal(await readAt(file, 0, 14), 'snapshot bytes');
  const after = await usage(k);
  assert.equal(after.snapshots.in_use, before.snapshots.in_use - 1);
  assert.equal(after.gigabytes.in_use, before.gigabytes.in_use - 1);

  const listed = await k.req('GET', `/v3/admin/manageable_snapshots/detail?host=${host}`, undefined, V38);
  assert.equal(listed.status, 200, listed.text);
  assert.deepEqual(
    listed.body['manageable-snapshots'].find((x: any) => x.reference['source-name'] === `snapshot-${sid}`),
    {
      reference: { 'source-name': `snapshot-${sid}` },
      size: 1,
      safe_to_manage: true,
      reason_not_safe: null,
      extra_info: null,
      cinder_id: null,
      source_reference: null,
    },
  );

  // A live volume's file is not a snapshot to adopt.
  const wrong = await k.req(
    'POST',
    '/v3/admin/manageable_snapshots',
    { snapshot: { volume_id: v.id, ref: { 'source-name': `volume-${v.id}` } } },
    V38,
  );
  assert.equal(wrong.status, 400, wrong.text);

  const m = await k.req(
    'POST',
    '/v3/admin/manageable_snapshots',
    { snapshot: { volume_id: v.id, ref: { 'source-name': `snapshot-${sid}` }, name: 'back' } },
    V38,
  );
  assert.equal(m.status, 202, m.text);
  assert.equal(m.body.snapshot.status, 'creating');
  const back = await snapshotStatus(k, m.body.snapshot.id, ['available', 'error']);
  assert.equal(back.status, 'available');
  assert.equal(back.size, 1);
  assert.equal(back.name, 'back');
  assert.equal(existsSync(file), false);
  const own = join(dirOf(k), `snapshot-${m.body.snapshot.id}`);
  assert.equal((await stat(own)).mode & 0o777, 0o444);
  await k.notifications.waitForEvents(['snapshot.manage_existing_snapshot.end']);
  const clone = await availableVolume(k, { snapshot_id: m.body.snapshot.id });
  assert.equal(await readAt(await volumeFile(k, clone.id), 0, 14), 'snapshot bytes');
  assert.equal((await usage(k)).snapshots.in_use, before.snapshots.in_use);

  // Listed as Kindling's own now.
  const mine = await k.req('GET', `/v3/admin/manageable_snapshots?host=${host}`, undefined, V38);
  const e = mine.body['manageable-snapshots'].find(
    (x: any) => x.reference['source-name'] === `snapshot-${m.body.snapshot.id}`,
  );
  assert.deepEqual([e.safe_to_manage, e.source_reference], [false, { 'source-name': `volume-${v.id}` }]);

  // A reference to nothing: the snapshot ends in error; the volume's file is untouched.
  const missing = await k.req(
    'POST',
    '/v3/admin/manageable_snapshots',
    { snapshot: { volume_id: v.id, ref: { 'source-name': 'nope' } } },
    V38,
  );
  assert.equal(missing.status, 202, missing.text);
  assert.equal((await snapshotStatus(k, missing.body.snapshot.id, ['error', 'available'])).status, 'error');
  const nullRef = await k.req(
    'POST',
    '/v3/admin/manageable_snapshots',
    { snapshot: { volume_id: v.id, ref: null } },
    V38,
  );
  assert.equal(nullRef.status, 202, nullRef.text);
  assert.equal((await snapshotStatus(k, nullRef.body.snapshot.id, ['error', 'available'])).status, 'error');
  const fh = await open(await volumeFile(k, v.id), 'r');
  await fh.close();
});

test(
  'a manage its volume service did not finish is run again when the service starts (the file already renamed)',
  { skip: onlyIn('embedded', 'calls the volume service of the process') },
  async (t) => {
    const k = await startTestKindling();
    t.after(() => k.close());
    const host = await backendHost(k);
    const id = randomUUID();
    // As a run that died after the driver's rename: the row `managing`, its reference kept, the
    // file already named volume-<id>.
    const type = await k.db
      .selectFrom('volume_types')
      .select(['id'])
      .where('name', '=', '__DEFAULT__')
      .executeTakeFirstOrThrow();
    await volumeCreate(k.core.dbh.db, {
      ...newVolumeRow({
        id,
        created_at: new Date().toISOString().replace('T', ' ').replace('Z', ''),
        user_id: 'admin',
        project_id: 'admin',
        host: `${host}#file`,
        size: 0,
        status: 'managing',
        display_name: 'resumed',
        volume_type_id: type.id,
        replication_status: 'disabled',
        shared_targets: 1,
      }),
      metadata: {},
      admin_metadata: { manage_existing_ref: JSON.stringify({ 'source-name': 'old.img' }) },
    });
    await legacyFile(k, `volume-${id}`, 3 * GiB - 5, 'resumed head', 'resumed tail');

    assert.deepEqual(await k.embedded.volumeManagers[0]!.resumeManaging(), [id]);
    const v = await waitForVolumeStatus(k, id, ['available', 'error']);
    assert.deepEqual([v.status, v.size], ['available', 3]);
    assert.equal(await readAt(await volumeFile(k, id), 0, 12), 'resumed head');
    const left = await k.db
      .selectFrom('volume_admin_metadata')
      .select('key')
      .where('volume_id', '=', id)
      .where('key', '=', 'manage_existing_ref')
      .execute();
    assert.deepEqual(left, []);
    assert.deepEqual(await k.embedded.volumeManagers[0]!.resumeManaging(), []);
  },
);

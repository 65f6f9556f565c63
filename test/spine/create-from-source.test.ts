/**
 * Volumes made from a snapshot (`snapshot_id`) and clones (`source_volid`): the data is the
 * source's at the moment of the snapshot or clone, the new volume is placed on the source's
 * backend (and checked for capacity there), a larger size is grown, a bootable source makes a
 * bootable volume, and a cascade delete removes a volume with its snapshots. Runs in both modes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { mv, startTestKindling, waitForVolumeStatus, type TestKindling } from '../support/kindling.js';
import { availableSnapshot, availableVolume, waitForSnapshotStatus } from '../support/snapshots.js';
import { MiB, allocatedBytes, isZeroAt, pattern, readAt, writeAt } from '../volume/volume-bytes.js';

const GiB = 1024 * MiB;

/** The volume's backing file, as its driver recorded it. */
async function volumePath(k: TestKindling, id: string): Promise<string> {
  const row = await k.db
    .selectFrom('volumes')
    .select('provider_location')
    .where('id', '=', id)
    .executeTakeFirst();
  assert.ok(row?.provider_location, `volume ${id} has a provider_location`);
  return row.provider_location;
}

async function createFrom(k: TestKindling, volume: Record<string, unknown>): Promise<any> {
  const r = await k.req('POST', '/v3/admin/volumes', { volume });
  assert.equal(r.status, 202, r.text);
  return r.body.volume;
}

test('volume from a snapshot: holds the bytes written before the snapshot, not those after; grows; bootable', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const src = await availableVolume(k, { size: 1 });
  const srcPath = await volumePath(k, src.id);
  writeAt(srcPath, 0, pattern(1));
  writeAt(srcPath, 512 * MiB, pattern(2));
  await k.db.updateTable('volumes').set({ bootable: 1 }).where('id', '=', src.id).execute();
  const snap = await availableSnapshot(k, src.id);
  writeAt(srcPath, 0, pattern(3));
  writeAt(srcPath, 256 * MiB, pattern(4));

  const created = await createFrom(k, { snapshot_id: snap.id, size: 2 });
  assert.equal(created.snapshot_id, snap.id);
  assert.equal(created.size, 2);
  const v = await waitForVolumeStatus(k, created.id, ['available']);
  assert.equal(v.bootable, 'true', 'a bootable source makes a bootable volume');
  assert.equal(v['os-vol-host-attr:host'], src['os-vol-host-attr:host']);
  const path = await volumePath(k, v.id);
  assert.equal(statSync(path).size, 2 * GiB, 'grown to the requested size');
  assert.ok(readAt(path, 0).equals(pattern(1)), 'bytes written before the snapshot are there');
  assert.ok(readAt(path, 512 * MiB).equals(pattern(2)));
  assert.ok(isZeroAt(path, 256 * MiB), 'bytes written after the snapshot are not');
  assert.ok(isZeroAt(path, GiB + 512 * MiB), 'the grown part reads as zeros');
  assert.ok(allocatedBytes(path) < 16 * MiB, `sparse copy: ${allocatedBytes(path)} bytes allocated`);
  assert.ok(readAt(srcPath, 0).equals(pattern(3)), 'the source keeps its own later writes');

  const small = await k.req('POST', '/v3/admin/volumes', { volume: { snapshot_id: snap.id, size: 1 } });
  assert.equal(small.status, 202, 'the same size is fine');
  await waitForVolumeStatus(k, small.body.volume.id, ['available']);
  await k.req('POST', `/v3/admin/snapshots/${snap.id}/action`, { 'os-reset_status': { status: 'error' } });
  const notReady = await k.req('POST', '/v3/admin/volumes', { volume: { snapshot_id: snap.id } });
  assert.deepEqual(notReady.body, {
    badRequest: {
      code: 400,
      message: "Invalid snapshot: Originating snapshot status must be one of 'available' values",
    },
  });
});

test('clone: holds the source bytes at clone time; default and larger sizes; never smaller', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const src = await availableVolume(k, { size: 2 });
  const srcPath = await volumePath(k, src.id);
  writeAt(srcPath, MiB, pattern(5));
  writeAt(srcPath, 2 * GiB - MiB, pattern(6));

  const clone = await waitForVolumeStatus(k, (await createFrom(k, { source_volid: src.id })).id, [
    'available',
  ]);
  assert.equal(clone.size, 2, 'size defaults to the source size');
  assert.equal(clone.source_volid, src.id);
  assert.equal(clone.bootable, 'false');
  const bigger = await waitForVolumeStatus(k, (await createFrom(k, { source_volid: src.id, size: 3 })).id, [
    'available',
  ]);
  writeAt(srcPath, MiB, pattern(7));
  for (const v of [clone, bigger]) {
    const path = await volumePath(k, v.id);
    assert.equal(statSync(path).size, v.size * GiB);
    assert.ok(readAt(path, MiB).equals(pattern(5)), 'the source bytes at clone time');
    assert.ok(readAt(path, 2 * GiB - MiB).equals(pattern(6)));
    assert.ok(isZeroAt(path, 0), 'unwritten parts stay holes');
  }
  assert.ok(readAt(srcPath, MiB).equals(pattern(7)), 'later writes to the source do not reach the clones');

  const smaller = await k.req('POST', '/v3/admin/volumes', { volume: { source_volid: src.id, size: 1 } });
  assert.deepEqual(smaller.body, {
    badRequest: {
      code: 400,
      message:
        "Invalid input received: Volume size '1'GB cannot be smaller than original volume size  2GB. They must be >= original volume size.",
    },
  });
  const both = await k.req('POST', '/v3/admin/volumes', {
    volume: { source_volid: src.id, snapshot_id: (await availableSnapshot(k, src.id)).id },
  });
  assert.deepEqual(both.body, {
    badRequest: {
      code: 400,
      message: 'Invalid input received: May specify only one of backup, imageRef, snapshot, source volume',
    },
  });
  await k.db.updateTable('volumes').set({ status: 'error' }).where('id', '=', src.id).execute();
  const notReady = await k.req('POST', '/v3/admin/volumes', { volume: { source_volid: src.id } });
  assert.deepEqual(notReady.body, {
    badRequest: {
      code: 400,
      message: "Invalid volume: Originating source volume status must be one of 'available, in-use' values",
    },
  });
});

test('two backends: snapshot volumes and clones go to the source backend, and must fit there', async (t) => {
  const k = await startTestKindling(
    {
      KINDLING__DEFAULT__enabled_backends: 'alpha,beta',
      KINDLING__alpha__volume_driver: 'file',
      KINDLING__beta__volume_driver: 'file',
      // No second chance: a volume placed on the wrong backend would fail there for good.
      KINDLING__DEFAULT__scheduler_max_attempts: '1',
    },
    // Both backends report 1 GiB: 20 GiB may be placed on each (max_over_subscription_ratio 20).
    { driverFaults: { '*': { capacityGb: 1 } } },
  );
  t.after(() => k.close());
  const src = await availableVolume(k, { size: 4 });
  const home = src['os-vol-host-attr:host'];
  const other = await availableVolume(k, { size: 1 });
  assert.notEqual(other['os-vol-host-attr:host'], home, 'a plain volume goes to the emptier backend');
  const snap = await availableSnapshot(k, src.id);

  for (const body of [{ snapshot_id: snap.id }, { source_volid: src.id }]) {
    const v = await waitForVolumeStatus(k, (await createFrom(k, { ...body, size: 4 })).id, ['available']);
    assert.equal(v['os-vol-host-attr:host'], home, JSON.stringify(body));
  }
  // 4 + 4 + 4 GiB are on the source backend now: 10 more do not fit there (they would elsewhere).
  const tooBig = await createFrom(k, { snapshot_id: snap.id, size: 10 });
  const failed = await waitForVolumeStatus(k, tooBig.id, ['error']);
  assert.equal(failed['os-vol-host-attr:host'], null);
  const msgs = await k.req('GET', `/v3/admin/messages?resource_uuid=${tooBig.id}`, undefined, mv('3.3'));
  assert.equal(msgs.body.messages[0]?.event_id, 'VOLUME_VOLUME_001_003');
  assert.equal((await k.req('GET', `/v3/admin/snapshots/${snap.id}`)).body.snapshot.status, 'available');
});

test('cascade delete: snapshots go first, then the volume; refused while a snapshot cannot be deleted', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k);
  const s1 = await availableSnapshot(k, v.id);
  const s2 = await availableSnapshot(k, v.id);
  const files = [v.id, s1.id, s2.id].map(
    (id, i) => `${k.stateDir}/volumes/${i ? 'snapshot' : 'volume'}-${id}`,
  );
  for (const f of files) assert.ok(existsSync(f), f);

  await k.req('POST', `/v3/admin/snapshots/${s2.id}/action`, {
    'os-reset_status': { status: 'error_deleting' },
  });
  const refused = await k.req('DELETE', `/v3/admin/volumes/${v.id}?cascade=true`);
  assert.deepEqual(refused.body, {
    badRequest: {
      code: 400,
      message:
        'Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.',
    },
  });
  assert.equal((await k.req('GET', `/v3/admin/volumes/${v.id}`)).body.volume.status, 'available');

  await k.req('POST', `/v3/admin/snapshots/${s2.id}/action`, { 'os-reset_status': { status: 'error' } });
  const del = await k.req('DELETE', `/v3/admin/volumes/${v.id}?cascade=true`);
  assert.equal(del.status, 202, del.text);
  await waitForSnapshotStatus(k, s1.id, ['deleted']);
  await waitForSnapshotStatus(k, s2.id, ['deleted']);
  const gone = await k.req('GET', `/v3/admin/volumes/${v.id}`);
  await k.notifications.waitFor((n) => n.event_type === 'volume.delete.end' && n.payload.volume_id === v.id);
  assert.equal((await k.req('GET', `/v3/admin/volumes/${v.id}`)).status, 404, gone.text);
  for (const f of files) assert.ok(!existsSync(f), `${f} removed`);
  const order = k.notifications
    .eventTypes()
    .filter((e) => e === 'snapshot.delete.end' || e === 'volume.delete.end');
  assert.deepEqual(order, ['snapshot.delete.end', 'snapshot.delete.end', 'volume.delete.end']);
});

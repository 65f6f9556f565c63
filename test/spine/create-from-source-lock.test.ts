/**
 * The source of a volume being made is locked (`<snapshot_id>-delete_snapshot`,
 * `<volume_id>-delete_volume`, Cinder's names): deleting it while the copy runs waits for the copy,
 * and the new volume is never broken. The copy is held open by a driver wrapper, so these run
 * embedded only; a delete that comes first makes the create fail cleanly, in both modes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { onlyIn, startTestKindling, waitForVolumeStatus, type TestKindling } from '../support/kindling.js';
import { availableSnapshot, availableVolume, waitForSnapshotStatus } from '../support/snapshots.js';
import type { DriverFactory } from '../../src/service/volume-services.js';
import { createDriver } from '../../src/volume/drivers/index.js';
import { MiB, pattern, readAt, writeAt } from '../volume/volume-bytes.js';

/** A driver factory whose `method` waits, once entered, until the test releases it. */
function gatedDriver(method: 'createVolumeFromSnapshot' | 'createClonedVolume') {
  let entered!: () => void;
  let release!: () => void;
  const enteredP = new Promise<void>((r) => (entered = r));
  const released = new Promise<void>((r) => (release = r));
  const factory: DriverFactory = (section) =>
    new Proxy(createDriver(section), {
      get(target, prop) {
        const real: unknown = Reflect.get(target, prop, target);
        if (typeof real !== 'function') return real;
        const bound = (real as (...a: unknown[]) => unknown).bind(target);
        if (prop !== method) return bound;
        return async (...args: unknown[]) => {
          entered();
          await released;
          return bound(...args);
        };
      },
    });
  return { factory, entered: enteredP, release };
}

const volumeFile = (k: TestKindling, id: string) => join(k.stateDir, 'volumes', `volume-${id}`);
const snapshotFile = (k: TestKindling, id: string) => join(k.stateDir, 'volumes', `snapshot-${id}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(
  'deleting a snapshot while a volume is made from it waits for the copy; the volume is complete',
  { skip: onlyIn('embedded', 'the copy is held by a driver wrapper in this process') },
  async (t) => {
    const gate = gatedDriver('createVolumeFromSnapshot');
    const k = await startTestKindling({}, { driverFactory: gate.factory });
    // Released first: closing waits for the volume service's running messages.
    t.after(async () => {
      gate.release();
      await k.close();
    });
    const src = await availableVolume(k);
    writeAt(volumeFile(k, src.id), 3 * MiB, pattern(11));
    const snap = await availableSnapshot(k, src.id);

    const c = await k.req('POST', '/v3/admin/volumes', { volume: { snapshot_id: snap.id } });
    assert.equal(c.status, 202, c.text);
    await gate.entered;
    const del = await k.req('DELETE', `/v3/admin/snapshots/${snap.id}`);
    assert.equal(del.status, 202, del.text);
    await sleep(300);
    const during = await k.req('GET', `/v3/admin/snapshots/${snap.id}`);
    assert.equal(during.body.snapshot.status, 'deleting', 'the delete is accepted and waits');
    assert.ok(existsSync(snapshotFile(k, snap.id)), 'the snapshot is still on disk while it is copied');

    gate.release();
    const v = await waitForVolumeStatus(k, c.body.volume.id, ['available', 'error']);
    assert.equal(v.status, 'available');
    assert.ok(
      readAt(volumeFile(k, v.id), 3 * MiB).equals(pattern(11)),
      'the new volume has the snapshot data',
    );
    await waitForSnapshotStatus(k, snap.id, ['deleted']);
    assert.ok(!existsSync(snapshotFile(k, snap.id)));
    const events = k.notifications.eventTypes();
    assert.ok(
      events.indexOf('volume.create.end') < events.indexOf('snapshot.delete.start'),
      `the delete started after the copy: ${events.join(', ')}`,
    );
  },
);

test(
  'deleting the source volume while it is cloned waits for the clone; the clone is complete',
  { skip: onlyIn('embedded', 'the copy is held by a driver wrapper in this process') },
  async (t) => {
    const gate = gatedDriver('createClonedVolume');
    const k = await startTestKindling({}, { driverFactory: gate.factory });
    // Released first: closing waits for the volume service's running messages.
    t.after(async () => {
      gate.release();
      await k.close();
    });
    const src = await availableVolume(k);
    writeAt(volumeFile(k, src.id), 5 * MiB, pattern(12));

    const c = await k.req('POST', '/v3/admin/volumes', { volume: { source_volid: src.id } });
    assert.equal(c.status, 202, c.text);
    await gate.entered;
    const del = await k.req('DELETE', `/v3/admin/volumes/${src.id}`);
    assert.equal(del.status, 202, del.text);
    await sleep(300);
    assert.equal((await k.req('GET', `/v3/admin/volumes/${src.id}`)).body.volume.status, 'deleting');
    assert.ok(existsSync(volumeFile(k, src.id)), 'the source is still on disk while it is copied');

    gate.release();
    const v = await waitForVolumeStatus(k, c.body.volume.id, ['available', 'error']);
    assert.equal(v.status, 'available');
    assert.ok(readAt(volumeFile(k, v.id), 5 * MiB).equals(pattern(12)), 'the clone has the source data');
    await k.notifications.waitFor(
      (n) => n.event_type === 'volume.delete.end' && n.payload.volume_id === src.id,
    );
    assert.equal((await k.req('GET', `/v3/admin/volumes/${src.id}`)).status, 404);
    assert.ok(!existsSync(volumeFile(k, src.id)));
  },
);

test('a snapshot or source already being deleted cannot be copied: the create is refused cleanly', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const src = await availableVolume(k);
  const snap = await availableSnapshot(k, src.id);
  assert.equal((await k.req('DELETE', `/v3/admin/snapshots/${snap.id}`)).status, 202);
  const fromSnap = await k.req('POST', '/v3/admin/volumes', { volume: { snapshot_id: snap.id } });
  // Either still `deleting` (refused) or already gone (not found); never a volume.
  assert.ok(fromSnap.status === 400 || fromSnap.status === 404, fromSnap.text);
  if (fromSnap.status === 400)
    assert.equal(
      fromSnap.body.badRequest.message,
      "Invalid snapshot: Originating snapshot status must be one of 'available' values",
    );
  await waitForSnapshotStatus(k, snap.id, ['deleted']);
  assert.equal((await k.req('DELETE', `/v3/admin/volumes/${src.id}`)).status, 202);
  const clone = await k.req('POST', '/v3/admin/volumes', { volume: { source_volid: src.id } });
  assert.ok(clone.status === 400 || clone.status === 404, clone.text);
  const rows = await k.db
    .selectFrom('volumes')
    .select('id')
    .where('deleted', '=', 0)
    .where('id', '!=', src.id)
    .execute();
  assert.deepEqual(
    rows.map((r) => r.id),
    [],
    'no volume row was made',
  );
});

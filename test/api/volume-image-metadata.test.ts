/**
 * Volume image metadata without an image service (both modes): the `os-set_image_metadata`,
 * `os-unset_image_metadata` and `os-show_image_metadata` actions, `volume_image_metadata` in the
 * show and detail views, the `glance_metadata` list filter, and the copies snapshots, volumes made
 * from them and clones take — each answer as Real Cinder Zed gave it for the same request.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mv, startTestKindling, waitForVolumeStatus, type TestKindling } from '../support/kindling.js';
import { availableSnapshot, waitForSnapshotStatus } from '../support/snapshots.js';
import { act, availableVolume, fault } from './volume-actions-support.js';

const set = (k: TestKindling, id: string, metadata: unknown, version?: string) =>
  act(k, id, { 'os-set_image_metadata': { metadata } }, version);
const unset = (k: TestKindling, id: string, key: unknown) =>
  act(k, id, { 'os-unset_image_metadata': { key } });
const show = (k: TestKindling, id: string) => act(k, id, { 'os-show_image_metadata': null });
const notFound = (id: string) => fault(404, `Glance metadata for volume/snapshot ${id} cannot be found.`);

async function view(k: TestKindling, id: string, version = '3.0'): Promise<any> {
  const r = await k.req('GET', `/v3/admin/volumes/${id}`, undefined, mv(version));
  assert.equal(r.status, 200, r.text);
  return r.body.volume;
}

test('set, show and unset image metadata: answers, order, errors and statuses as Cinder', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const { id } = await availableVolume(k);

  assert.deepEqual((await show(k, id)).body, notFound(id));
  assert.deepEqual((await act(k, id, { 'os-show_image_metadata': {} })).body, notFound(id));
  assert.deepEqual((await unset(k, id, 'k')).body, notFound(id));

  let r = await set(k, id, { image_id: 'abc', k1: 'v1' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body, { metadata: { image_id: 'abc', k1: 'v1' } });
  r = await show(k, id);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { metadata: { image_id: 'abc', k1: 'v1' } });
  // Changed keys first, then new ones, then the untouched ones (Cinder's bulk save order).
  r = await set(k, id, { k1: 'v1b', k2: 'v2' });
  assert.deepEqual(Object.entries(r.body.metadata), [
    ['k1', 'v1b'],
    ['k2', 'v2'],
    ['image_id', 'abc'],
  ]);
  assert.deepEqual((await set(k, id, {})).body, { metadata: { image_id: 'abc', k1: 'v1b', k2: 'v2' } });
  // No key is protected: Glance's core properties are set like any other.
  r = await set(k, id, { checksum: 'x', min_disk: '5' }, '3.70');
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(r.body.metadata), ['checksum', 'min_disk', 'image_id', 'k1', 'k2']);

  r = await unset(k, id, 'k2');
  assert.equal(r.status, 200);
  assert.equal(r.text, '');
  assert.deepEqual((await unset(k, id, 'k2')).body, notFound(id));
  assert.deepEqual((await unset(k, id, 'nope')).body, notFound(id));
  assert.deepEqual((await show(k, id)).body.metadata, {
    image_id: 'abc',
    k1: 'v1b',
    checksum: 'x',
    min_disk: '5',
  });

  // Bodies: Cinder's schemas and texts; checked before the volume is looked up.
  const bad = (field: string, value: string, why: string) =>
    fault(400, `Invalid input for field/attribute ${field}. Value: ${value}. ${why}`);
  const missing = '00000000-0000-4000-8000-000000000000';
  const cases: [string, unknown, unknown][] = [
    [
      id,
      { 'os-set_image_metadata': {} },
      bad('os-set_image_metadata', '{}', "'metadata' is a required property"),
    ],
    [
      id,
      { 'os-set_image_metadata': null },
      bad('os-set_image_metadata', 'None', "None is not of type 'object'"),
    ],
    [id, { 'os-set_image_metadata': { metadata: { k: 1 } } }, bad('k', '1', "1 is not of type 'string'")],
    [
      id,
      { 'os-set_image_metadata': { metadata: { k: null } } },
      bad('k', 'None', "None is not of type 'string'"),
    ],
    [
      missing,
      { 'os-set_image_metadata': { metadata: { 'k!': 'v' } } },
      bad('metadata', "{'k!': 'v'}", "'k!' does not match any of the regexes: '^[a-zA-Z0-9-_:. /]{1,255}$'"),
    ],
    [
      id,
      { 'os-set_image_metadata': { metadata: 'abc' } },
      bad('metadata', 'abc', "'abc' is not of type 'object'"),
    ],
    [
      id,
      { 'os-set_image_metadata': { metadata: { k: 'v' }, x: 1 } },
      bad(
        'os-set_image_metadata',
        "{'metadata': {'k': 'v'}, 'x': 1}",
        "Additional properties are not allowed ('x' was unexpected)",
      ),
    ],
    [id, { 'os-unset_image_metadata': { key: '' } }, bad('key', '', "'' is too short")],
    [
      id,
      { 'os-unset_image_metadata': {} },
      bad('os-unset_image_metadata', '{}', "'key' is a required property"),
    ],
    [
      id,
      { 'os-unset_image_metadata': null },
      bad('os-unset_image_metadata', 'None', "None is not of type 'object'"),
    ],
    [missing, { 'os-unset_image_metadata': { key: 5 } }, bad('key', '5', "5 is not of type 'string'")],
    [
      missing,
      { 'os-set_image_metadata': { metadata: { k: 'v' } } },
      fault(404, `Volume ${missing} could not be found.`),
    ],
    [
      missing,
      { 'os-unset_image_metadata': { key: 'k' } },
      fault(404, `Volume ${missing} could not be found.`),
    ],
    [missing, { 'os-show_image_metadata': null }, fault(404, `Volume ${missing} could not be found.`)],
  ];
  for (const [target, body, expected] of cases)
    assert.deepEqual((await act(k, target, body)).body, expected, JSON.stringify(body));
  const long = 'v'.repeat(256);
  assert.deepEqual((await set(k, id, { k: long })).body, bad('k', long, `'${long}' is too long`));

  // Statuses: only `maintenance` and `uploading` refuse changes; show works in any.
  for (const status of ['maintenance', 'uploading']) {
    assert.equal((await act(k, id, { 'os-reset_status': { status } })).status, 202);
    assert.deepEqual(
      (await set(k, id, { s: 'm' })).body,
      fault(400, `Invalid volume: Updating volume metadata is not allowed for volumes in ${status} status.`),
    );
    assert.deepEqual(
      (await unset(k, id, 'k1')).body,
      fault(400, `Invalid volume: Deleting volume metadata is not allowed for volumes in ${status} status.`),
    );
    // A key the volume does not have is a 404 before the status is looked at.
    assert.deepEqual((await unset(k, id, 'zz')).body, notFound(id));
    assert.equal((await show(k, id)).status, 200);
  }
  for (const status of ['error', 'extending', 'available']) {
    assert.equal((await act(k, id, { 'os-reset_status': { status } })).status, 202);
    assert.equal((await set(k, id, { s: status })).status, 200, status);
    assert.equal((await unset(k, id, 's')).status, 200, status);
  }
  assert.deepEqual((await show(k, id)).body.metadata, {
    image_id: 'abc',
    k1: 'v1b',
    checksum: 'x',
    min_disk: '5',
  });
  // Setting image metadata does not make a volume bootable.
  assert.equal((await view(k, id)).bootable, 'false');
});

test('volume_image_metadata in show and detail (any microversion), not elsewhere; glance_metadata filter', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const a = await availableVolume(k, { name: 'a' });
  const b = await availableVolume(k, { name: 'b' });
  const plain = await availableVolume(k, { name: 'plain' });
  await set(k, a.id, { image_id: 'i1', os: 'linux', min_ram: '0' });
  await set(k, b.id, { image_id: 'i2', os: 'linux' });

  for (const version of ['3.0', '3.70']) {
    assert.deepEqual((await view(k, a.id, version)).volume_image_metadata, {
      image_id: 'i1',
      os: 'linux',
      min_ram: '0',
    });
    assert.equal('volume_image_metadata' in (await view(k, plain.id, version)), false);
    const detail = await k.req('GET', '/v3/admin/volumes/detail', undefined, mv(version));
    const byId = Object.fromEntries(detail.body.volumes.map((v: any) => [v.id, v]));
    assert.deepEqual(byId[b.id].volume_image_metadata, { image_id: 'i2', os: 'linux' });
    assert.equal('volume_image_metadata' in byId[plain.id], false);
  }
  // The summary list, the update answer and the create answer have no such field.
  const list = await k.req('GET', '/v3/admin/volumes');
  assert.deepEqual(Object.keys(list.body.volumes.find((v: any) => v.id === a.id)).sort(), [
    'id',
    'links',
    'name',
  ]);
  const upd = await k.req('PUT', `/v3/admin/volumes/${a.id}`, { volume: { description: 'd' } });
  assert.equal(upd.status, 200);
  assert.equal('volume_image_metadata' in upd.body.volume, false);

  const names = async (query: string, version: string, path = '/volumes/detail') => {
    const r = await k.req('GET', `/v3/admin${path}?${query}`, undefined, mv(version));
    assert.equal(r.status, 200, r.text);
    return r.body.volumes.map((v: any) => v.name).sort();
  };
  const q = (filter: string) => `glance_metadata=${encodeURIComponent(filter)}`;
  assert.deepEqual(await names(q('{"os":"linux"}'), '3.4'), ['a', 'b']);
  assert.deepEqual(await names(q('{"os":"linux"}'), '3.4', '/volumes'), ['a', 'b']);
  assert.deepEqual(await names(q('{"os":"linux","image_id":"i2"}'), '3.70'), ['b']);
  assert.deepEqual(await names(q("{'image_id': 'i1'}"), '3.4'), ['a']);
  // A number matches the stored string, as Cinder's literal_eval'd int does.
  assert.deepEqual(await names(q('{"min_ram": 0}'), '3.4'), ['a']);
  assert.deepEqual(await names(q('{"os":"Linux"}'), '3.4'), []);
  // Not a dict: nothing matches; an empty dict: no condition.
  for (const v of ['abc', '["a"]', '{"os": true}']) assert.deepEqual(await names(q(v), '3.4'), [], v);
  assert.deepEqual(await names(q('{}'), '3.4'), ['a', 'b', 'plain']);
  // Before 3.4 the filter is ignored.
  assert.deepEqual(await names(q('{"os":"linux"}'), '3.3'), ['a', 'b', 'plain']);
  const counted = await k.req(
    'GET',
    `/v3/admin/volumes/detail?with_count=true&${q('{"image_id":"i1"}')}`,
    undefined,
    mv('3.45'),
  );
  assert.equal(counted.body.count, 1);
  assert.deepEqual(
    counted.body.volumes.map((v: any) => v.id),
    [a.id],
  );
});

test('snapshots of bootable volumes, volumes made from them and clones carry the image metadata', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const rows = (column: 'volume_id' | 'snapshot_id', id: string) =>
    k.db
      .selectFrom('volume_glance_metadata')
      .select(['key', 'value', 'deleted'])
      .where(column, '=', id)
      .orderBy('id')
      .execute();
  const create = async (volume: Record<string, unknown>) => {
    const r = await k.req('POST', '/v3/admin/volumes', { volume: { size: 1, ...volume } });
    assert.equal(r.status, 202, r.text);
    assert.equal('volume_image_metadata' in r.body.volume, false);
    return waitForVolumeStatus(k, r.body.volume.id, ['available']);
  };

  const src = await availableVolume(k);
  await set(k, src.id, { image_id: 'img-1', p: 'q' });
  // Not bootable: nothing is copied.
  const s1 = await availableSnapshot(k, src.id, { force: true });
  assert.deepEqual(await rows('snapshot_id', s1.id), []);
  const fromS1 = await create({ snapshot_id: s1.id });
  assert.equal(fromS1.bootable, 'false');
  assert.equal('volume_image_metadata' in fromS1, false);
  const clone1 = await create({ source_volid: src.id });
  assert.equal('volume_image_metadata' in clone1, false);

  // Bootable: the snapshot takes a copy; volumes from it and clones get the metadata and boot.
  assert.equal((await act(k, src.id, { 'os-set_bootable': { bootable: true } })).status, 200);
  const s2 = await availableSnapshot(k, src.id);
  assert.deepEqual(await rows('snapshot_id', s2.id), [
    { key: 'image_id', value: 'img-1', deleted: 0 },
    { key: 'p', value: 'q', deleted: 0 },
  ]);
  // The snapshot keeps the metadata of its time.
  await set(k, src.id, { p: 'changed', n: '1' });
  const fromS2 = await create({ snapshot_id: s2.id });
  assert.equal(fromS2.bootable, 'true');
  assert.deepEqual(fromS2.volume_image_metadata, { image_id: 'img-1', p: 'q' });
  const clone2 = await create({ source_volid: src.id, size: 2 });
  assert.equal(clone2.bootable, 'true');
  assert.deepEqual(clone2.volume_image_metadata, { image_id: 'img-1', p: 'changed', n: '1' });

  // Bootable without image metadata: bootable copies, no metadata.
  const boot = await availableVolume(k);
  await act(k, boot.id, { 'os-set_bootable': { bootable: true } });
  const s3 = await availableSnapshot(k, boot.id);
  const fromS3 = await create({ snapshot_id: s3.id });
  assert.equal(fromS3.bootable, 'true');
  assert.equal('volume_image_metadata' in fromS3, false);

  // Deleting a snapshot or a volume soft-deletes its rows.
  assert.equal((await k.req('DELETE', `/v3/admin/volumes/${fromS2.id}`)).status, 202);
  assert.equal((await k.req('DELETE', `/v3/admin/snapshots/${s2.id}`)).status, 202);
  await waitForSnapshotStatus(k, s2.id, ['deleted']);
  const gone = async (column: 'volume_id' | 'snapshot_id', id: string) => {
    for (let i = 0; i < 100; i++) {
      const r = await rows(column, id);
      if (r.length > 0 && r.every((x) => x.deleted === 1)) return true;
      await new Promise((res) => setTimeout(res, 100));
    }
    return false;
  };
  assert.equal(await gone('snapshot_id', s2.id), true);
  assert.equal(await gone('volume_id', fromS2.id), true);
  assert.deepEqual((await show(k, clone2.id)).body.metadata, { image_id: 'img-1', p: 'changed', n: '1' });
});

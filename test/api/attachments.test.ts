/**
 * The attachments API (3.27+) without a connector: reserve, list, show, complete, delete, the
 * status machine of the volume, multiattach, and the refusals Real Cinder answers (recorded from
 * Cinder Zed). Connections with real bytes are in test/e2e/attach-iscsi.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mv, startTestKindling, type TestKindling } from '../support/kindling.js';
import { act, availableVolume, fault, volumeType } from './volume-actions-support.js';
import { ensureIscsiPackages, freePort, qemuIo, type IscsiLun } from '../volume/iscsi-client.js';

const iscsiSkip = await ensureIscsiPackages();

function lunFrom(info: Record<string, any>): IscsiLun {
  return { portal: info.target_portal, iqn: info.target_iqn, lun: info.target_lun };
}

const V = mv('3.27');

function createAttachment(k: TestKindling, body: Record<string, unknown>, version = '3.27') {
  return k.req('POST', '/v3/admin/attachments', { attachment: body }, mv(version));
}

async function volumeStatus(k: TestKindling, id: string): Promise<{ status: string; attach_status: string }> {
  return k.db
    .selectFrom('volumes')
    .select(['status', 'attach_status'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

test('reserve with no connector: 200 with the detail view, volume reserved, hidden from the volume view', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k);
  const instance = randomUUID();
  const r = await createAttachment(k, { volume_uuid: v.id, instance_uuid: instance });
  assert.equal(r.status, 200, r.text);
  const a = r.body.attachment;
  assert.deepEqual(a, {
    id: a.id,
    status: 'reserved',
    instance,
    volume_id: v.id,
    attached_at: '',
    detached_at: '',
    attach_mode: 'null',
    connection_info: {},
  });
  assert.deepEqual(await volumeStatus(k, v.id), { status: 'reserved', attach_status: 'detached' });
  // An empty connector (cinder attachment-create without --connect) is no connector, as in Cinder.
  const w = await availableVolume(k);
  const empty = await createAttachment(k, { volume_uuid: w.id, connector: {} });
  assert.equal(empty.status, 200, empty.text);
  assert.equal(empty.body.attachment.status, 'reserved');
  assert.deepEqual(empty.body.attachment.connection_info, {});
  const shown = await k.req('GET', `/v3/volumes/${v.id}`);
  assert.equal(shown.body.volume.status, 'reserved');
  assert.deepEqual(shown.body.volume.attachments, []);
  // 3.48: the service that made the volume, and whether its targets are shared (one per volume: no).
  const at348 = (await k.req('GET', `/v3/volumes/${v.id}`, undefined, mv('3.48'))).body.volume;
  assert.equal(at348.shared_targets, false);
  const service = await k.db
    .selectFrom('services')
    .select('uuid')
    .where('binary', '=', 'cinder-volume')
    .executeTakeFirstOrThrow();
  assert.equal(at348.service_uuid, service.uuid);
  assert.deepEqual((await k.req('GET', `/v3/admin/attachments/${a.id}`, undefined, V)).body, {
    attachment: a,
  });
  // Below 3.27 the routes do not exist.
  const old = await k.req('GET', '/v3/admin/attachments', undefined, mv('3.26'));
  assert.deepEqual(old.body, fault(404, 'The resource could not be found.'));
});

test('complete (3.44) makes the volume in-use and shows the attachment; delete gives it back', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k);
  const instance = randomUUID();
  const a = (await createAttachment(k, { volume_uuid: v.id, instance_uuid: instance })).body.attachment;
  const url = `/v3/admin/attachments/${a.id}/action`;
  assert.deepEqual(
    (await k.req('POST', url, { 'os-complete': null }, mv('3.43'))).body,
    fault(404, 'The resource could not be found.'),
  );
  assert.deepEqual(
    (await k.req('POST', url, { 'os-foo': null }, mv('3.44'))).body,
    fault(
      400,
      'There is no such action: os-foo. Verify the request body and Content-Type header and try again.',
    ),
  );
  const done = await k.req('POST', url, { 'os-complete': null }, mv('3.44'));
  assert.equal(done.status, 204);
  assert.equal(done.text, '');
  assert.deepEqual(await volumeStatus(k, v.id), { status: 'in-use', attach_status: 'attached' });
  const shown = (await k.req('GET', `/v3/volumes/${v.id}`)).body.volume;
  assert.equal(shown.status, 'in-use');
  assert.deepEqual(shown.attachments, [
    {
      id: v.id,
      attachment_id: a.id,
      volume_id: v.id,
      server_id: instance,
      host_name: null,
      device: null,
      attached_at: null,
    },
  ]);
  await k.notifications.waitForEvents(['volume.attach.end']);

  // An attached volume cannot be deleted, forced or not.
  const del = await k.req('DELETE', `/v3/admin/volumes/${v.id}`);
  assert.deepEqual(
    del.body,
    fault(
      400,
      'Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.',
    ),
  );
  const force = await act(k, v.id, { 'os-force_delete': {} });
  assert.deepEqual(
    force.body,
    fault(
      400,
      'Invalid volume: Volume  must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.',
    ),
  );

  const gone = await k.req('DELETE', `/v3/admin/attachments/${a.id}`, undefined, V);
  assert.equal(gone.status, 200);
  assert.deepEqual(gone.body, { attachments: [] });
  assert.deepEqual(await volumeStatus(k, v.id), { status: 'available', attach_status: 'detached' });
  assert.deepEqual(
    (await k.req('DELETE', `/v3/admin/attachments/${a.id}`, undefined, V)).body,
    fault(404, `Volume attachment could not be found with filter: attachment_id = ${a.id}.`),
  );
  await k.notifications.waitForEvents(['volume.detach.start', 'volume.detach.end']);
  assert.equal((await k.req('DELETE', `/v3/admin/volumes/${v.id}`)).status, 202);
});

test('a second attachment of a volume that is not multiattach is refused, except for the same instance', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k);
  const instance = randomUUID();
  assert.equal((await createAttachment(k, { volume_uuid: v.id, instance_uuid: instance })).status, 200);
  const other = await createAttachment(k, { volume_uuid: v.id, instance_uuid: randomUUID() });
  assert.deepEqual(
    other.body,
    fault(
      400,
      `Invalid volume: Volume ${v.id} status must be available or downloading to reserve, but the current status is reserved.`,
    ),
  );
  // The same instance again (a server moving between hosts) is accepted.
  const again = await createAttachment(k, { volume_uuid: v.id, instance_uuid: instance });
  assert.equal(again.status, 200, again.text);
  const list = await k.req('GET', `/v3/admin/attachments?volume_id=${v.id}`, undefined, V);
  assert.equal(list.body.attachments.length, 2);
});

test('multiattach: several attachments at once; the volume follows the ones left', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  await volumeType(k, 'shared', { multiattach: '<is> True' });
  const v = await availableVolume(k, { volume_type: 'shared' });
  assert.equal(v.multiattach, true);
  const complete = (id: string) =>
    k.req('POST', `/v3/admin/attachments/${id}/action`, { 'os-complete': null }, mv('3.44'));
  const a1 = (await createAttachment(k, { volume_uuid: v.id, instance_uuid: randomUUID() })).body.attachment;
  // A pending reservation blocks the next one (Cinder reserves one at a time).
  const blocked = await createAttachment(k, { volume_uuid: v.id, instance_uuid: randomUUID() });
  assert.deepEqual(
    blocked.body,
    fault(
      400,
      `Invalid volume: Volume ${v.id} status must be available or in-use or downloading to reserve, but the current status is reserved.`,
    ),
  );
  assert.equal((await complete(a1.id)).status, 204);
  const a2 = (await createAttachment(k, { volume_uuid: v.id, instance_uuid: randomUUID() })).body.attachment;
  assert.equal((await volumeStatus(k, v.id)).status, 'reserved');
  assert.equal((await complete(a2.id)).status, 204);
  const shown = (await k.req('GET', `/v3/volumes/${v.id}`)).body.volume;
  assert.deepEqual(
    shown.attachments.map((a: { attachment_id: string }) => a.attachment_id).sort(),
    [a1.id, a2.id].sort(),
  );
  const left = await k.req('DELETE', `/v3/admin/attachments/${a1.id}`, undefined, V);
  assert.deepEqual(left.body, {
    attachments: [{ id: a2.id, status: 'attached', instance: a2.instance, volume_id: v.id }],
  });
  assert.deepEqual(await volumeStatus(k, v.id), { status: 'in-use', attach_status: 'attached' });
  await k.req('DELETE', `/v3/admin/attachments/${a2.id}`, undefined, V);
  assert.deepEqual(await volumeStatus(k, v.id), { status: 'available', attach_status: 'detached' });
});

test('attachments of a volume in error are refused; bad bodies are 400s and change nothing', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k);
  assert.equal((await act(k, v.id, { 'os-reset_status': { status: 'error' } })).status, 202);
  assert.deepEqual(
    (await createAttachment(k, { volume_uuid: v.id })).body,
    fault(
      400,
      `Invalid volume: Volume attachments can not be created if the volume is in an error state. The Volume ${v.id} currently has a status of: error `,
    ),
  );
  const w = await availableVolume(k);
  const cases: [unknown, string][] = [
    [{ instance_uuid: randomUUID() }, "'volume_uuid' is a required property"],
    [
      { volume_uuid: 'not-a-uuid' },
      "Invalid input for field/attribute volume_uuid. Value: not-a-uuid. 'not-a-uuid' is not a 'uuid'",
    ],
    [{ volume_uuid: w.id, foo: 1 }, "Additional properties are not allowed ('foo' was unexpected)"],
    [
      { volume_uuid: w.id, connector: 'iqn.foo' },
      "Invalid input for field/attribute connector. Value: iqn.foo. 'iqn.foo' is not of type 'object', 'null'",
    ],
    [{ volume_uuid: w.id, mode: 'ro' }, "Additional properties are not allowed ('mode' was unexpected)"],
  ];
  for (const [body, message] of cases) {
    const r = await createAttachment(k, body as Record<string, unknown>);
    assert.equal(r.status, 400, r.text);
    assert.ok(r.body.badRequest.message.includes(message), r.body.badRequest.message);
  }
  const badMode = await createAttachment(k, { volume_uuid: w.id, mode: 'xx' }, '3.54');
  assert.equal(
    badMode.body.badRequest.message,
    "Invalid input for field/attribute mode. Value: xx. 'xx' is not one of ['rw', 'ro']",
  );
  assert.deepEqual((await createAttachment(k, { volume_uuid: randomUUID() })).status, 404);
  assert.equal((await volumeStatus(k, w.id)).status, 'available');
  const listed = await k.req('GET', '/v3/admin/attachments', undefined, V);
  assert.deepEqual(listed.body, { attachments: [] });
});

test('lists: summary and detail, filters (status is the attachment status), sort, limit, marker, projects', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v1 = await availableVolume(k);
  const v2 = await availableVolume(k);
  const i1 = randomUUID();
  const a1 = (await createAttachment(k, { volume_uuid: v1.id, instance_uuid: i1 })).body.attachment;
  const a2 = (await createAttachment(k, { volume_uuid: v2.id })).body.attachment;
  await k.req('POST', `/v3/admin/attachments/${a2.id}/action`, { 'os-complete': null }, mv('3.44'));
  const ids = async (query: string, headers = V) =>
    ((await k.req('GET', `/v3/admin/attachments${query}`, undefined, headers)).body.attachments ?? []).map(
      (a: { id: string }) => a.id,
    );
  assert.deepEqual(await ids(''), [a2.id, a1.id]); // newest first
  assert.deepEqual(await ids(`?volume_id=${v1.id}`), [a1.id]);
  assert.deepEqual(await ids(`?instance_id=${i1}`), [a1.id]);
  assert.deepEqual(await ids('?attach_status=attached'), [a2.id]);
  assert.deepEqual(await ids('?status=reserved'), [a1.id]);
  assert.deepEqual(await ids('?foo=bar'), []);
  const sorted = [a1.id, a2.id].sort();
  assert.deepEqual(await ids('?sort=id:asc'), sorted);
  assert.deepEqual(await ids('?sort=id:asc&limit=1'), [sorted[0]]);
  assert.deepEqual(await ids(`?sort=id:asc&marker=${sorted[0]}`), [sorted[1]]);
  const badSort = await k.req('GET', '/v3/admin/attachments?sort=status:asc', undefined, V);
  assert.deepEqual(badSort.body, fault(400, 'Invalid input received: Invalid sort key'));
  const missing = randomUUID();
  assert.deepEqual(
    (await k.req('GET', `/v3/admin/attachments?marker=${missing}`, undefined, V)).body,
    fault(404, `Volume attachment could not be found with filter: attachment_id = ${missing}.`),
  );
  const detail = await k.req('GET', `/v3/admin/attachments/detail?volume_id=${v2.id}`, undefined, V);
  assert.deepEqual(Object.keys(detail.body.attachments[0]).sort(), [
    'attach_mode',
    'attached_at',
    'connection_info',
    'detached_at',
    'id',
    'instance',
    'status',
    'volume_id',
  ]);
  assert.equal(detail.body.attachments[0].status, 'attached');

  // Another project lists none of them (all_tenants lists every project's).
  const demo = { 'x-auth-token': 'demo:demo', ...V };
  assert.deepEqual((await k.req('GET', '/v3/demo/attachments', undefined, demo)).body, { attachments: [] });
  const all = await k.req('GET', '/v3/admin/attachments?all_tenants=1', undefined, V);
  assert.equal(all.body.attachments.length, 2);
});

test('legacy attach: reserve, attach, detach; begin/roll detaching; read-only volumes attach ro', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k);
  const instance = randomUUID();
  assert.deepEqual(
    (await act(k, v.id, { 'os-begin_detaching': null })).body,
    fault(
      400,
      "Invalid volume: Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.",
    ),
  );
  assert.equal((await act(k, v.id, { 'os-reserve': null })).status, 202);
  assert.equal((await volumeStatus(k, v.id)).status, 'attaching');
  const attach = await act(k, v.id, {
    'os-attach': { instance_uuid: instance, mountpoint: '/dev/vdb', mode: 'rw' },
  });
  assert.equal(attach.status, 202, attach.text);
  const shown = (await k.req('GET', `/v3/volumes/${v.id}`)).body.volume;
  assert.equal(shown.status, 'in-use');
  assert.equal(shown.attachments.length, 1);
  assert.equal(shown.attachments[0].server_id, instance);
  assert.equal(shown.attachments[0].device, '/dev/vdb');
  // Cinder shows the admin metadata the attach wrote among the volume's metadata.
  assert.deepEqual(shown.metadata, { readonly: 'False', attached_mode: 'rw' });
  const second = await act(k, v.id, { 'os-attach': { instance_uuid: randomUUID(), mountpoint: '/dev/vdc' } });
  assert.deepEqual(
    second.body,
    fault(400, 'Invalid volume: volume is already attached and multiple attachments are not enabled'),
  );

  assert.equal((await act(k, v.id, { 'os-begin_detaching': null })).status, 202);
  assert.equal((await volumeStatus(k, v.id)).status, 'detaching');
  assert.equal((await act(k, v.id, { 'os-roll_detaching': null })).status, 202);
  assert.equal((await volumeStatus(k, v.id)).status, 'in-use');
  const unknown = await act(k, v.id, { 'os-detach': { attachment_id: randomUUID() } });
  assert.deepEqual(
    unknown.body,
    fault(409, 'ConflictNovaUsingAttachment: Detach volume from instance  using the Compute API'),
  );
  assert.equal((await act(k, v.id, { 'os-detach': null })).status, 202);
  assert.deepEqual(await volumeStatus(k, v.id), { status: 'available', attach_status: 'detached' });
  assert.deepEqual((await k.req('GET', `/v3/volumes/${v.id}`)).body.volume.metadata, { readonly: 'False' });

  // A read-only volume attaches only ro.
  assert.equal((await act(k, v.id, { 'os-update_readonly_flag': { readonly: true } })).status, 202);
  assert.deepEqual(
    (await act(k, v.id, { 'os-attach': { host_name: 'h1', mountpoint: '/dev/vdb', mode: 'rw' } })).body,
    fault(400, `Invalid attaching mode 'rw' for volume ${v.id}.`),
  );
  assert.equal(
    (await act(k, v.id, { 'os-attach': { host_name: 'h1', mountpoint: '/dev/vdb', mode: 'ro' } })).status,
    202,
  );
  const ro = (await k.req('GET', `/v3/admin/volumes/${v.id}`)).body.volume;
  assert.equal(ro.attachments[0].host_name, 'h1');
  assert.equal(ro.metadata.attached_mode, 'ro');
});

test('reset-state: in-use needs an attachment; attach_status detached removes the attachments', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k);
  assert.deepEqual(
    (await act(k, v.id, { 'os-reset_status': { status: 'in-use' } })).body,
    fault(400, 'Cannot reset-state to in-use because volume does not have any attachments.'),
  );
  const a = (await createAttachment(k, { volume_uuid: v.id, instance_uuid: randomUUID() })).body.attachment;
  await k.req('POST', `/v3/admin/attachments/${a.id}/action`, { 'os-complete': null }, mv('3.44'));
  assert.equal((await act(k, v.id, { 'os-reset_status': { status: 'available' } })).status, 202);
  assert.deepEqual(await volumeStatus(k, v.id), { status: 'available', attach_status: 'attached' });
  assert.equal((await act(k, v.id, { 'os-reset_status': { attach_status: 'detached' } })).status, 202);
  assert.deepEqual(await volumeStatus(k, v.id), { status: 'available', attach_status: 'detached' });
  const list = await k.req('GET', `/v3/admin/attachments?volume_id=${v.id}`, undefined, V);
  assert.deepEqual(list.body, { attachments: [] });
});

test(
  'with a connector: attaching, the iSCSI connection info, update, complete, detach (both modes)',
  { skip: iscsiSkip },
  async (t) => {
    const port = await freePort();
    const k = await startTestKindling({ KINDLING__file__target_port: String(port) });
    t.after(() => k.close());
    const v = await availableVolume(k);
    const connector = {
      initiator: 'iqn.1994-05.com.example:api-test',
      ip: '127.0.0.1',
      host: 'h1',
      mountpoint: '/dev/vdb',
    };
    const r = await createAttachment(k, { volume_uuid: v.id, instance_uuid: randomUUID(), connector });
    assert.equal(r.status, 200, r.text);
    const a = r.body.attachment;
    // NOTE: Cinder answers the stale `reserved` and `null` here; Kindling the attachment as it
    // now is: connecting, with the mode the connection was made with.
    assert.equal(a.status, 'attaching');
    assert.equal(a.attach_mode, 'rw');
    assert.deepEqual(Object.keys(a.connection_info).sort(), [
      'access_mode',
      'attachment_id',
      'cacheable',
      'driver_volume_type',
      'encrypted',
      'qos_specs',
      'target_discovered',
      'target_iqn',
      'target_lun',
      'target_portal',
      'volume_id',
    ]);
    assert.equal(a.connection_info.target_portal, `127.0.0.1:${port}`);
    assert.deepEqual(await volumeStatus(k, v.id), { status: 'attaching', attach_status: 'attaching' });
    const row = await k.db
      .selectFrom('volume_attachment')
      .selectAll()
      .where('id', '=', a.id)
      .executeTakeFirstOrThrow();
    assert.equal(row.attached_host, 'h1');
    assert.equal(row.mountpoint, '/dev/vdb');
    assert.ok(
      (await qemuIo(lunFrom(a.connection_info), 'write -P 0x5a 0 64k')).status === 0,
      'write over iSCSI',
    );

    const done = await k.req(
      'POST',
      `/v3/admin/attachments/${a.id}/action`,
      { 'os-complete': null },
      mv('3.44'),
    );
    assert.equal(done.status, 204);
    assert.deepEqual(await volumeStatus(k, v.id), { status: 'in-use', attach_status: 'attached' });
    const shown = (await k.req('GET', `/v3/admin/volumes/${v.id}`)).body.volume;
    assert.equal(shown.attachments[0].host_name, 'h1');
    assert.equal(shown.attachments[0].device, '/dev/vdb');
    assert.equal((await k.req('DELETE', `/v3/admin/attachments/${a.id}`, undefined, V)).status, 200);
    assert.deepEqual(await volumeStatus(k, v.id), { status: 'available', attach_status: 'detached' });
    assert.notEqual(
      (await qemuIo(lunFrom(a.connection_info), 'read 0 4k')).status,
      0,
      'no export after the detach',
    );

    // Reserve, then connect with PUT (Nova's boot-from-volume order); read-only volumes connect ro.
    assert.equal((await act(k, v.id, { 'os-update_readonly_flag': { readonly: true } })).status, 202);
    const reserved = (await createAttachment(k, { volume_uuid: v.id, instance_uuid: randomUUID() })).body
      .attachment;
    assert.equal(reserved.attach_mode, 'ro');
    // The same instance may reserve twice (a server moving between hosts), but a volume that is
    // not multiattach takes only one connection (Cinder answers this with a 500).
    const twice = (await createAttachment(k, { volume_uuid: v.id, instance_uuid: reserved.instance })).body
      .attachment;
    const put = await k.req('PUT', `/v3/admin/attachments/${reserved.id}`, { attachment: { connector } }, V);
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.attachment.connection_info.access_mode, 'ro');
    assert.equal(put.body.attachment.status, 'attaching');
    const dup = await k.req(
      'PUT',
      `/v3/admin/attachments/${twice.id}`,
      { attachment: { connector: { ...connector, host: 'h2' } } },
      V,
    );
    assert.deepEqual(dup.body, fault(400, `Invalid volume: duplicate connectors detected on volume ${v.id}`));
    await k.req('DELETE', `/v3/admin/attachments/${twice.id}`, undefined, V);
    await k.req('DELETE', `/v3/admin/attachments/${reserved.id}`, undefined, V);
    assert.deepEqual(await volumeStatus(k, v.id), { status: 'available', attach_status: 'detached' });
  },
);

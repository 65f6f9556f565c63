/**
 * What an attachment changes elsewhere: on an `in-use` volume, transfers, snapshots without force,
 * backups without force, multiattach retypes, the read-only flag and migrations answer what Real
 * Cinder Zed answers (recorded against a Real Cinder Zed, as docs/attach.md "What an attachment
 * changes elsewhere" lists them) and change nothing; what Cinder allows (rename, bootable,
 * snapshots with force) still works.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mv, startTestKindling, waitFor, type TestKindling } from '../support/kindling.js';
import {
  TWO_BACKENDS,
  act,
  availableVolume,
  fault,
  readAt,
  volumeFile,
  volumeRow,
  volumeType,
  writeAt,
} from './volume-actions-support.js';
import { ensureIscsiPackages, freePort } from '../volume/iscsi-client.js';

const iscsiSkip = await ensureIscsiPackages();

/** Attaches `id` through the attachments API (reserve + complete, no connector needed). */
async function attached(k: TestKindling, id: string): Promise<void> {
  const a = await k.req(
    'POST',
    '/v3/admin/attachments',
    { attachment: { volume_uuid: id, instance_uuid: randomUUID() } },
    mv('3.27'),
  );
  assert.equal(a.status, 200, a.text);
  const c = await k.req(
    'POST',
    `/v3/admin/attachments/${a.body.attachment.id}/action`,
    { 'os-complete': null },
    mv('3.44'),
  );
  assert.equal(c.status, 204);
}

async function statusOf(k: TestKindling, id: string): Promise<string> {
  return (await k.req('GET', `/v3/admin/volumes/${id}`)).body.volume.status;
}

test('an in-use volume: transfers, snapshots and backups without force, readonly and multiattach changes are refused', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k);
  await attached(k, v.id);
  const refused: [string, string, unknown, string, Record<string, string>?][] = [
    [
      'POST',
      '/v3/admin/os-volume-transfer',
      { transfer: { volume_id: v.id } },
      'Invalid volume: status must be available',
    ],
    [
      'POST',
      '/v3/admin/volume-transfers',
      { transfer: { volume_id: v.id } },
      'Invalid volume: status must be available',
      mv('3.55'),
    ],
    [
      'POST',
      '/v3/admin/snapshots',
      { snapshot: { volume_id: v.id } },
      `Invalid volume: Volume ${v.id} status must be available, but current status is: in-use.`,
    ],
    [
      'POST',
      '/v3/admin/backups',
      { backup: { volume_id: v.id } },
      'Invalid volume: Backing up an in-use volume must use the force flag.',
    ],
    [
      'POST',
      `/v3/admin/volumes/${v.id}/action`,
      { 'os-update_readonly_flag': { readonly: true } },
      `Invalid volume: Volume ${v.id} status must be available to update readonly flag, but current status is: in-use.`,
    ],
  ];
  for (const [method, url, body, message, headers] of refused) {
    const r = await k.req(method, url, body, headers ?? {});
    assert.equal(r.status, 400, `${method} ${url}: ${r.text}`);
    assert.deepEqual(r.body, fault(400, message), url);
  }
  await volumeType(k, 'shared', { multiattach: '<is> True' });
  assert.deepEqual(
    (await act(k, v.id, { 'os-retype': { new_type: 'shared' } })).body,
    fault(
      400,
      'Invalid input received: Invalid volume_type passed, retypes affecting multiattach are only allowed on available volumes, the specified volume however currently has a status of: in-use.',
    ),
  );
  assert.equal(await statusOf(k, v.id), 'in-use');

  // What Cinder allows while attached.
  assert.equal(
    (await k.req('PUT', `/v3/admin/volumes/${v.id}`, { volume: { name: 'renamed' } })).status,
    200,
  );
  assert.equal((await act(k, v.id, { 'os-set_bootable': { bootable: true } })).status, 200);
  const forced = await k.req('POST', '/v3/admin/snapshots', { snapshot: { volume_id: v.id, force: true } });
  assert.equal(forced.status, 202, forced.text);
  const at366 = await k.req('POST', '/v3/admin/snapshots', { snapshot: { volume_id: v.id } }, mv('3.66'));
  assert.equal(at366.status, 202, at366.text);
  await waitFor(async () => {
    const list = await k.req('GET', `/v3/admin/snapshots?volume_id=${v.id}`);
    return list.body.snapshots.every((s: { status: string }) => s.status === 'available');
  });
  assert.equal(await statusOf(k, v.id), 'in-use');
});

test('an attached volume cannot be moved to another backend: the migration ends in error, the volume stays', async (t) => {
  const k = await startTestKindling(TWO_BACKENDS);
  t.after(() => k.close());
  const v = await availableVolume(k);
  await attached(k, v.id);
  const from = (await k.req('GET', `/v3/admin/volumes/${v.id}`)).body.volume[
    'os-vol-host-attr:host'
  ] as string;
  const to = from.includes('@alpha')
    ? from.replace('@alpha#alpha', '@beta#beta')
    : from.replace('@beta#beta', '@alpha#alpha');
  const r = await act(k, v.id, { 'os-migrate_volume': { host: to } });
  assert.equal(r.status, 202, r.text);
  const after = await waitFor(async () => {
    const got = (await k.req('GET', `/v3/admin/volumes/${v.id}`)).body.volume;
    return got['os-vol-mig-status-attr:migstat'] === 'error' && got;
  });
  assert.equal(after.status, 'in-use');
  assert.equal(after['os-vol-host-attr:host'], from);
  assert.equal(after.attachments.length, 1);
});

test(
  'a volume that was attached over iSCSI and detached still migrates with its data',
  { skip: iscsiSkip },
  async (t) => {
    const k = await startTestKindling({
      ...TWO_BACKENDS,
      KINDLING__alpha__target_port: String(await freePort()),
      KINDLING__beta__target_port: String(await freePort()),
    });
    t.after(() => k.close());
    const v = await availableVolume(k);
    const path = await volumeFile(k, v.id);
    await writeAt(path, 4096, 'kept across the move');
    const connector = { initiator: 'iqn.1994-05.com.example:mig', ip: '127.0.0.1', host: 'h1' };
    const a = await k.req(
      'POST',
      '/v3/admin/attachments',
      { attachment: { volume_uuid: v.id, instance_uuid: randomUUID(), connector } },
      mv('3.27'),
    );
    assert.equal(a.status, 200, a.text);
    // The row now says where the export is, not where the file is.
    assert.match((await volumeRow(k, v.id)).provider_location ?? '', /^127\.0\.0\.1:\d+,\d+ iqn/);
    assert.equal(
      (await k.req('DELETE', `/v3/admin/attachments/${a.body.attachment.id}`, undefined, mv('3.27'))).status,
      200,
    );
    const from = (await k.req('GET', `/v3/admin/volumes/${v.id}`)).body.volume[
      'os-vol-host-attr:host'
    ] as string;
    const to = from.includes('@alpha') ? 'kindling@beta' : 'kindling@alpha';
    const host = (await k.req('GET', '/v3/admin/os-services')).body.services.find(
      (s: { binary: string; host: string }) =>
        s.binary === 'cinder-volume' && s.host.endsWith(to.split('@')[1]!),
    ).host as string;
    assert.equal((await act(k, v.id, { 'os-migrate_volume': { host } })).status, 202);
    const after = await waitFor(async () => {
      const got = (await k.req('GET', `/v3/admin/volumes/${v.id}`)).body.volume;
      return ['success', 'error'].includes(got['os-vol-mig-status-attr:migstat']) && got;
    });
    assert.equal(after['os-vol-mig-status-attr:migstat'], 'success');
    assert.equal(await readAt(await volumeFile(k, v.id), 4096, 20), 'kept across the move');
  },
);

/**
 * Backup lists (pagination, sort, filters, count, scoping), admin actions (reset status, force
 * delete, export and import of records), the backup service's restart cleanup, and what happens
 * without a backup service.
 */
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { isAllowed } from '../../src/auth/policy.js';
import type { RequestContext } from '../../src/common/context.js';
import { backupFiltersFromQuery } from '../../src/api/v3/backups-filters.js';
import { ResourceFiltersFile } from '../../src/api/resource-filters.js';
import { APIVersion } from '../../src/api/microversion.js';
import { mv, onlyIn, startTestKindling, waitFor, waitForVolumeStatus } from '../support/kindling.js';
import { availableVolume, token } from '../support/snapshots.js';
import {
  BACKUP_WAIT_MS,
  availableBackup,
  pattern,
  readVolume,
  waitForBackupStatus,
  writeVolume,
} from './backups-support.js';

const member: RequestContext = {
  userId: 'u',
  projectId: 'p1',
  isAdmin: false,
  roles: ['member'],
  requestId: 'r',
};

function badRequest(message: string) {
  return { badRequest: { code: 400, message } };
}

test('policy: members work on their own backups; export, import, reset and force delete are admin-only', () => {
  for (const rule of ['backup:get', 'backup:update', 'backup:delete', 'backup:restore']) {
    assert.equal(isAllowed(member, rule, 'p1'), true, rule);
    assert.equal(isAllowed(member, rule, 'p2'), false, rule);
  }
  // NOTE: Cinder's `backup:create` is open (`@`): the volume lookup before it is what scopes it.
  assert.equal(isAllowed(member, 'backup:create', 'p1'), true);
  assert.equal(isAllowed(member, 'backup:get_all'), true);
  for (const rule of [
    'backup:backup-import',
    'backup:export-import',
    'backup:backup_project_attribute',
    'volume_extension:backup_admin_actions:reset_status',
    'volume_extension:backup_admin_actions:force_delete',
  ])
    assert.equal(isAllowed(member, rule, 'p1'), false, rule);
});

/** The resource filters file Kindling ships (Cinder's defaults). */
const filtersFile = new ResourceFiltersFile(
  fileURLToPath(new URL('../../etc/resource_filters.json', import.meta.url)),
);

test('list filters: a member may filter on name, status and volume_id only (3.31+); all_tenants is dropped', () => {
  const v = APIVersion.parse('3.70');
  assert.throws(
    () => backupFiltersFromQuery({ host: 'x', name: 'a' }, member, v, filtersFile),
    (e: Error) => e.message === 'Invalid filters host are found in query options.',
  );
  assert.deepEqual(backupFiltersFromQuery({ name: 'a', all_tenants: '1' }, member, v, filtersFile), {
    columns: { display_name: 'a' },
    like: {},
    project_id: 'p1',
  });
  // Before 3.31 unknown filters are dropped for members.
  assert.deepEqual(backupFiltersFromQuery({ host: 'x' }, member, APIVersion.parse('3.30'), filtersFile), {
    columns: {},
    like: {},
    project_id: 'p1',
  });
});

test('list, detail, pagination, sort, filters, with_count and project scoping', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k);
  const a = await availableBackup(k, v.id, { name: 'alpha' });
  const b = await availableBackup(k, v.id, { name: 'beta' });
  const theirs = await availableVolume(k, {}, 'demo');
  const c = await k.req(
    'POST',
    '/v3/demo/backups',
    { backup: { volume_id: theirs.id, name: 'gamma' } },
    token('demo'),
  );
  assert.equal(c.status, 202, c.text);
  await waitForBackupStatus(k, c.body.backup.id, ['available'], 'demo');

  const names = async (q: string, version = '3.70') =>
    (await k.req('GET', `/v3/admin/backups${q}`, undefined, mv(version))).body.backups.map(
      (x: any) => x.name,
    );
  assert.deepEqual(await names(''), ['beta', 'alpha'], 'newest first, this project only');
  assert.deepEqual((await names('?all_tenants=1')).sort(), ['alpha', 'beta', 'gamma']);
  assert.deepEqual(await names('?sort=name:asc'), ['alpha', 'beta']);
  assert.deepEqual(
    (await k.req('GET', '/v3/admin/backups?sort=name', undefined, mv('3.36'))).body,
    badRequest('Invalid input received: Invalid sort key'),
  );
  assert.deepEqual(await names('?name=alpha'), ['alpha']);
  assert.deepEqual(await names('?name~=lph'), ['alpha']);
  assert.deepEqual(await names('?status=error'), []);
  assert.deepEqual(await names(`?volume_id=${v.id}&sort=name:desc`), ['beta', 'alpha']);
  assert.deepEqual(await names('?no_such_column=1'), []);
  assert.deepEqual(
    (await k.req('GET', '/v3/admin/backups?all_tenants=xyz')).body,
    badRequest("all_tenants must be a boolean, got 'xyz'."),
  );

  const page = await k.req('GET', '/v3/admin/backups/detail?limit=1&with_count=true', undefined, mv('3.45'));
  assert.equal(page.body.count, 2);
  assert.equal(page.body.backups.length, 1);
  assert.equal(page.body.backups[0].id, b.id);
  assert.equal(page.body.backups[0].status, 'available');
  const next = new URL(page.body.backups_links[0].href);
  assert.equal(next.searchParams.get('marker'), b.id);
  const rest = await k.req('GET', `/v3/admin/backups?marker=${b.id}`);
  assert.deepEqual(
    rest.body.backups.map((x: any) => x.id),
    [a.id],
  );
  const bad = '11111111-1111-4111-8111-111111111111';
  assert.deepEqual((await k.req('GET', `/v3/admin/backups?marker=${bad}`)).body, {
    itemNotFound: { code: 404, message: `Backup ${bad} could not be found.` },
  });
  assert.ok(
    !('count' in (await k.req('GET', '/v3/admin/backups?with_count=true', undefined, mv('3.44'))).body),
  );

  // Another project's backup is not there for this one (an admin sees it by id, as in Cinder).
  assert.equal((await k.req('GET', `/v3/demo/backups/${a.id}`, undefined, token('demo'))).status, 200);
  const svc = (await k.req('GET', '/v3/admin/os-services?binary=cinder-backup')).body.services;
  assert.equal(svc.length, 1);
  assert.equal(svc[0].state, 'up');
});

test('admin actions: reset status, force delete, export and import of a record', async (t) => {
  const k = await startTestKindling();
  t.after(() => k.close());
  const v = await availableVolume(k);
  const data = pattern('exported');
  await writeVolume(k, v.id, 3 * 1024 * 1024, data);
  const b = await availableBackup(k, v.id, { name: 'keep' }, mv('3.43'));
  const action = (body: unknown) => k.req('POST', `/v3/admin/backups/${b.id}/action`, body);

  assert.deepEqual(
    (await action({ 'os-reset_status': { status: 'creating' } })).body,
    badRequest("Backup status: creating is invalid, valid statuses are: ['available', 'error']."),
  );
  assert.equal((await action({ 'os-reset_status': { status: 'ERROR' } })).status, 202);
  await waitForBackupStatus(k, b.id, ['error']);
  assert.equal((await action({ 'os-reset_status': { status: 'available' } })).status, 202);
  await waitForBackupStatus(k, b.id, ['available']);

  const ex = await k.req('GET', `/v3/admin/backups/${b.id}/export_record`);
  assert.equal(ex.status, 200, ex.text);
  assert.equal(ex.body['backup-record'].backup_service, 'cinder.backup.drivers.posix.PosixBackupDriver');
  const url = ex.body['backup-record'].backup_url;
  const record = JSON.parse(Buffer.from(url, 'base64').toString('utf8'));
  assert.equal(record.id, b.id);
  assert.equal(record.display_name, 'keep');

  const imp = (backupUrl: string) =>
    k.req('POST', '/v3/admin/backups/import_record', {
      'backup-record': {
        backup_service: 'cinder.backup.drivers.posix.PosixBackupDriver',
        backup_url: backupUrl,
      },
    });
  assert.deepEqual((await imp(url)).body, badRequest('Invalid backup: Backup already exists in database.'));
  assert.deepEqual(
    (await imp('abc')).body,
    badRequest("Invalid input for field/attribute backup_url. Value: abc. 'abc' is not a 'base64'"),
  );
  assert.deepEqual(
    (await imp('e30=')).body,
    badRequest('Invalid input received: Provided backup record is missing an id'),
  );
  assert.deepEqual(
    (await imp(Buffer.from('{"id": "x"}').toString('base64'))).body,
    badRequest('Invalid input received: Provided backup record is missing size attribute'),
  );

  // Forget the row (its data stays where the record says), then import it back.
  await k.db.updateTable('backups').set({ deleted: 1, status: 'deleted' }).where('id', '=', b.id).execute();
  assert.equal((await k.req('GET', `/v3/admin/backups/${b.id}`)).status, 404);
  const back = await imp(url);
  assert.equal(back.status, 201, back.text);
  assert.equal(back.body.backup.id, b.id);
  const imported = await waitForBackupStatus(k, b.id, ['available']);
  assert.equal(imported.volume_id, v.id);
  assert.equal(imported.name, 'keep');
  assert.equal(imported.availability_zone, 'nova');
  const r = await k.req('POST', `/v3/admin/backups/${b.id}/restore`, { restore: {} });
  assert.equal(r.status, 202, r.text);
  const nv = await waitForVolumeStatus(k, r.body.restore.volume_id, ['available'], BACKUP_WAIT_MS);
  await waitForBackupStatus(k, b.id, ['available']);
  assert.deepEqual(await readVolume(k, nv.id, 3 * 1024 * 1024, data.length), data);

  const inUse = async () =>
    (await k.req('GET', '/v3/admin/os-quota-sets/admin?usage=true')).body.quota_set.backups.in_use;
  // NOTE: the row forgotten above never gave its quota back; the import took one more.
  assert.equal(await inUse(), 2);

  // Force delete takes any status.
  await k.db.updateTable('backups').set({ status: 'creating' }).where('id', '=', b.id).execute();
  assert.equal((await action({ 'os-force_delete': {} })).status, 202);
  await waitForBackupStatus(k, b.id, ['deleted']);
  assert.equal(await inUse(), 1, 'the imported backup’s quota is given back by its delete');
});

test(
  'the backup service cleans up what it left half-done when it starts again',
  { skip: onlyIn('embedded', 'calls the service’s cleanup directly') },
  async (t) => {
    const k = await startTestKindling();
    t.after(() => k.close());
    const v = await availableVolume(k);
    const w = await availableVolume(k);
    const creating = await availableBackup(k, v.id);
    const restoring = await availableBackup(k, v.id);
    const host = k.embedded.backup!.host;
    const db = k.db;
    await db.updateTable('backups').set({ status: 'creating', host }).where('id', '=', creating.id).execute();
    await db
      .updateTable('volumes')
      .set({ status: 'backing-up', previous_status: 'available' })
      .where('id', '=', v.id)
      .execute();
    await db
      .updateTable('backups')
      .set({ status: 'restoring', host, restore_volume_id: w.id })
      .where('id', '=', restoring.id)
      .execute();
    await db.updateTable('volumes').set({ status: 'restoring-backup' }).where('id', '=', w.id).execute();

    const done = await k.embedded.backup!.cleanup();
    assert.deepEqual(done.map((d) => d.was).sort(), ['creating', 'restoring']);
    const c = (await k.req('GET', `/v3/admin/backups/${creating.id}`)).body.backup;
    assert.equal(c.status, 'error');
    assert.equal(c.fail_reason, 'incomplete backup reset on manager restart');
    assert.equal((await k.req('GET', `/v3/admin/volumes/${v.id}`)).body.volume.status, 'available');
    assert.equal((await k.req('GET', `/v3/admin/backups/${restoring.id}`)).body.backup.status, 'available');
    assert.equal((await k.req('GET', `/v3/admin/volumes/${w.id}`)).body.volume.status, 'error_restoring');
  },
);

test('without a backup service: a new backup fails to schedule (202, then error and a user message); restore and delete are 404', async (t) => {
  const k = await startTestKindling({ KINDLING__DEFAULT__enable_backup: 'false' });
  t.after(() => k.close());
  const v = await availableVolume(k);
  const c = await k.req('POST', '/v3/admin/backups', { backup: { volume_id: v.id } });
  assert.equal(c.status, 202, c.text);
  const b = await waitForBackupStatus(k, c.body.backup.id, ['error']);
  assert.equal(b.fail_reason, 'Service not found for creating backup.');
  assert.equal((await k.req('GET', `/v3/admin/volumes/${v.id}`)).body.volume.status, 'available');
  const messages = await waitFor(async () => {
    const r = await k.req('GET', '/v3/admin/messages', undefined, mv('3.3'));
    return r.body.messages.length ? r.body.messages : null;
  });
  assert.equal(
    messages[0].user_message,
    'create backup:Backup failed to schedule. Service not found for creating backup.',
  );
  assert.equal(messages[0].resource_type, 'VOLUME_BACKUP');
  assert.equal(messages[0].resource_uuid, b.id);

  assert.deepEqual((await k.req('DELETE', `/v3/admin/backups/${b.id}`)).body, {
    itemNotFound: { code: 404, message: 'Service cinder-backup could not be found.' },
  });
  const imp = await k.req('POST', '/v3/admin/backups/import_record', {
    'backup-record': { backup_service: 'cinder.backup.drivers.posix.PosixBackupDriver', backup_url: 'e30=' },
  });
  assert.deepEqual(imp.body, {
    serviceUnavailable: {
      code: 503,
      message: 'Service cinder.backup.drivers.posix.PosixBackupDriver could not be found.',
    },
  });
});

/**
 * Volume transfers and quotas with the real Debian clients against a real `kindling serve`:
 * `cinder transfer-create` in one project, `cinder transfer-accept` in another (the volume and its
 * quota move), `cinder quota-update` / `quota-class-update`, and `openstack quota set --volumes`.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clientSkipReason, kindlingForSuite, runClient, waitFor, type CliName } from './harness.js';
import { parseProperties, parseTable } from './prettytable.js';

const skip = clientSkipReason('cinder') || clientSkipReason('openstack');

describe('transfers and quotas with the Debian clients (noauth)', { skip }, () => {
  const kindling = kindlingForSuite();

  /** Runs a client as `u-<project>` of `project`, asserting exit 0 (with the server's log tail) by default. */
  const run = (bin: CliName, project: string, args: string[], expectOk = true) =>
    runClient(kindling, bin, args, { user: `u-${project}`, project, expectOk });

  async function usage(project: string): Promise<Record<string, string>> {
    const rows = parseTable((await run('cinder', 'admin', ['quota-usage', project])).stdout).rows;
    return Object.fromEntries(rows.map((r) => [r.Type ?? '', `${r.In_use}/${r.Reserved}`]));
  }

  async function availableVolume(project: string, name: string): Promise<string> {
    const id =
      parseProperties((await run('cinder', project, ['create', '2', '--name', name])).stdout).id ?? '';
    await waitFor(
      `${name} to become available`,
      async () =>
        parseProperties((await run('cinder', project, ['show', id])).stdout).status === 'available'
          ? true
          : undefined,
      10_000,
      50,
    );
    return id;
  }

  test('cinder transfer-create / transfer-accept moves a volume and its quota to another project', async () => {
    const id = await availableVolume('demo', 'gift');
    const created = parseProperties(
      (await run('cinder', 'demo', ['transfer-create', '--name', 't1', id])).stdout,
    );
    assert.equal(created.volume_id, id);
    assert.equal(created.name, 't1');
    assert.match(created.auth_key ?? '', /^[0-9a-f]{16}$/);
    assert.equal(
      parseProperties((await run('cinder', 'demo', ['show', id])).stdout).status,
      'awaiting-transfer',
    );
    const listed = parseTable((await run('cinder', 'demo', ['transfer-list'])).stdout).rows;
    assert.deepEqual(
      listed.map((r) => [r.ID, r['Volume ID'], r.Name]),
      [[created.id, id, 't1']],
    );

    const wrong = await run('cinder', 'other', ['transfer-accept', created.id ?? '', 'notthekey'], false);
    assert.notEqual(wrong.code, 0);
    assert.match(
      wrong.stderr,
      /Invalid auth key: Attempt to transfer .* with invalid auth key\. \(HTTP 400\)/,
    );

    const accepted = parseProperties(
      (await run('cinder', 'other', ['transfer-accept', created.id ?? '', created.auth_key ?? ''])).stdout,
    );
    assert.equal(accepted.volume_id, id);
    const shown = parseProperties((await run('cinder', 'other', ['show', id])).stdout);
    assert.equal(shown.status, 'available');
    assert.equal(shown['os-vol-tenant-attr:tenant_id'], 'other');
    assert.equal(shown.user_id, 'u-other');
    assert.deepEqual(parseTable((await run('cinder', 'demo', ['transfer-list'])).stdout).rows, []);
    const [demo, other] = [await usage('demo'), await usage('other')];
    assert.deepEqual([demo.volumes, demo.gigabytes], ['0/0', '0/0']);
    assert.deepEqual([other.volumes, other.gigabytes], ['1/0', '2/0']);
  });

  test('cinder transfer-create --no-snapshots (3.55+) and transfer-delete', async () => {
    const id = await availableVolume('demo', 'kept');
    const created = parseProperties(
      (
        await run('cinder', 'demo', [
          '--os-volume-api-version',
          '3.57',
          'transfer-create',
          '--no-snapshots',
          id,
        ])
      ).stdout,
    );
    assert.equal(created.no_snapshots, 'True');
    assert.equal(created.source_project_id, 'demo');
    assert.equal(created.accepted, 'False');
    await run('cinder', 'demo', ['transfer-delete', created.id ?? '']);
    assert.equal(parseProperties((await run('cinder', 'demo', ['show', id])).stdout).status, 'available');
  });

  test('cinder quota-update and quota-class-update; the limits are enforced', async () => {
    await run('cinder', 'admin', ['quota-update', '--volumes', '1', 'quotaproj']);
    const shown = parseProperties((await run('cinder', 'admin', ['quota-show', 'quotaproj'])).stdout);
    assert.equal(shown.volumes, '1');
    await availableVolume('quotaproj', 'only-one');
    const refused = await run('cinder', 'quotaproj', ['create', '1'], false);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /VolumeLimitExceeded: Maximum number of volumes allowed \(1\) exceeded/);

    await run('cinder', 'admin', ['quota-class-update', '--snapshots', '4', 'default']);
    const cls = parseProperties((await run('cinder', 'admin', ['quota-class-show', 'default'])).stdout);
    assert.equal(cls.snapshots, '4');
    assert.equal(
      parseProperties((await run('cinder', 'admin', ['quota-defaults', 'x'])).stdout).snapshots,
      '4',
    );
  });

  test('openstack quota set --class --volumes sets the default class (no identity service needed)', async () => {
    // NOTE: `openstack quota set <project>` looks the project up in Keystone first, which a noauth
    // Kindling does not have; the quota class form needs no lookup.
    await run('openstack', 'admin', ['quota', 'set', '--class', '--volumes', '7', 'default']);
    await run('openstack', 'admin', [
      'quota',
      'set',
      '--class',
      '--gigabytes',
      '30',
      '--volume-type',
      '__DEFAULT__',
      'default',
    ]);
    const cls = parseProperties((await run('cinder', 'admin', ['quota-class-show', 'default'])).stdout);
    assert.equal(cls.volumes, '7');
    assert.equal(cls.gigabytes___DEFAULT__, '30');
    // A project without limits of its own now gets them.
    const fresh = parseProperties((await run('cinder', 'admin', ['quota-show', 'fresh'])).stdout);
    assert.equal(fresh.volumes, '7');
  });
});

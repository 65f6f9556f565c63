/**
 * Resource filters and legacy consistency groups with the real Debian `cinder` against a real
 * `kindling serve` (noauth): `cinder list-filters [--resource]` (3.33) shows the shipped file,
 * Cinder Zed's defaults; `cinder consisgroup-create/list/show/update/delete` go through
 * `/consistencygroups` (a consistency group ends in `error`: no backend supports them, as with
 * Cinder's LVM driver), and `cinder group-type-list` shows the seeded `default_cgsnapshot_type`.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clientSkipReason, kindlingForSuite, runClient, waitFor } from './harness.js';
import { parseProperties, parseTable } from './prettytable.js';

const skip = clientSkipReason('cinder');

describe('resource filters and consistency groups with cinderclient', { skip }, () => {
  const kindling = kindlingForSuite();
  const cinder = (args: string[], expectOk = true) => runClient(kindling, 'cinder', args, { expectOk });

  test('cinder list-filters: every resource of the file; --resource one of them', async () => {
    const all = parseTable((await cinder(['list-filters'])).stdout).rows;
    // cinderclient sorts the table by its first column.
    assert.deepEqual(
      all.map((r) => r.Resource),
      [
        'attachment',
        'backup',
        'group',
        'group_snapshot',
        'message',
        'pool',
        'snapshot',
        'volume',
        'volume_type',
      ],
    );
    assert.equal(
      all.find((r) => r.Resource === 'volume')?.Filters,
      'name, status, metadata, bootable, migration_status, availability_zone, group_id, size, created_at, updated_at, consumes_quota',
    );
    const one = parseTable((await cinder(['list-filters', '--resource', 'backup'])).stdout).rows;
    assert.deepEqual(one, [{ Resource: 'backup', Filters: 'name, status, volume_id' }]);
    const old = await cinder(['--os-volume-api-version', '3.32', 'list-filters'], false);
    assert.notEqual(old.code, 0);
  });

  test('cinder consisgroup-create/list/show/update/delete', async () => {
    await cinder(['type-create', 'cgtype']);
    const types = parseTable(
      (await cinder(['--os-volume-api-version', '3.11', 'group-type-list'])).stdout,
    ).rows;
    assert.ok(
      types.some((t) => t.Name === 'default_cgsnapshot_type'),
      JSON.stringify(types),
    );

    const created = parseProperties((await cinder(['consisgroup-create', '--name', 'cg1', 'cgtype'])).stdout);
    const id = created.id ?? '';
    assert.equal(created.name, 'cg1');
    const shown = await waitFor(
      'consisgroup-show → error',
      async () => {
        const p = parseProperties((await cinder(['consisgroup-show', 'cg1'])).stdout);
        return p.status === 'error' ? p : undefined;
      },
      15_000,
    );
    assert.equal(shown.id, id);
    const listed = parseTable((await cinder(['consisgroup-list'])).stdout).rows;
    assert.deepEqual(listed, [{ ID: id, Status: 'error', Name: 'cg1' }]);

    await cinder(['consisgroup-update', 'cg1', '--name', 'cg1b', '--description', 'renamed']);
    const renamed = parseProperties((await cinder(['consisgroup-show', id])).stdout);
    assert.equal(renamed.name, 'cg1b');
    assert.equal(renamed.description, 'renamed');
    // As Zed's group API: a name or description change sets the group available, even from error.
    assert.equal(renamed.status, 'available');

    // A cgsnapshot of it: made, and failed by the volume service (error).
    const snap = parseProperties((await cinder(['cgsnapshot-create', '--name', 'cgs1', id])).stdout);
    assert.equal(snap.name, 'cgs1');
    await waitFor(
      'cgsnapshot-show → error',
      async () => {
        const p = parseProperties((await cinder(['cgsnapshot-show', snap.id ?? ''])).stdout);
        return p.status === 'error' ? p : undefined;
      },
      15_000,
    );
    const snaps = parseTable((await cinder(['cgsnapshot-list'])).stdout).rows;
    assert.deepEqual(snaps, [{ ID: snap.id, Status: 'error', Name: 'cgs1' }]);

    if (!clientSkipReason('openstack')) {
      const osc = JSON.parse(
        (await runClient(kindling, 'openstack', ['consistency', 'group', 'list', '-f', 'json'])).stdout,
      ) as { ID: string; Status: string; Name: string }[];
      assert.deepEqual(osc, [{ ID: id, Status: 'available', Name: 'cg1b' }]);
    }

    // Accepted, and failed by the volume service: still there, in error, as in Cinder Zed (its
    // cgsnapshot in error keeps the group from being deleted at all: Invalid Group).
    const refused = await cinder(['consisgroup-delete', '--force', id], false);
    assert.match(refused.stderr + refused.stdout, /Group has existing snapshots/);
    const cg2 = parseProperties((await cinder(['consisgroup-create', '--name', 'cg2', 'cgtype'])).stdout);
    await cinder(['consisgroup-delete', '--force', cg2.id ?? '']);
    await waitFor(
      'consisgroup-show → error after the delete',
      async () => {
        const p = parseProperties((await cinder(['consisgroup-show', cg2.id ?? ''])).stdout);
        return p.status === 'error' ? p : undefined;
      },
      15_000,
    );
  });
});

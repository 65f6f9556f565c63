/**
 * Snapshots, volumes from snapshots and clones with the real Debian clients against a real
 * `kindling serve` (noauth): `cinder snapshot-create`, `cinder create --snapshot-id`,
 * `cinder create --source-volid`, `openstack volume snapshot create/list/show/set/delete`,
 * `cinder snapshot-delete` and `cinder delete --cascade`.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { clientSkipReason, kindlingForSuite, runClient, waitFor, type CliName } from './harness.js';
import { parseProperties, parseTable } from './prettytable.js';

const skip = clientSkipReason('openstack') || clientSkipReason('cinder');

describe('snapshots and volumes from snapshots/volumes with the stock clients', { skip }, () => {
  const kindling = kindlingForSuite();
  let sourceId = '';
  let snapshotId = '';

  const run = (bin: CliName, args: string[], expectOk = true) => runClient(kindling, bin, args, { expectOk });

  /** Polls `cinder <show> <id>` until its status is `status`; returns its properties. */
  async function waitStatus(show: 'show' | 'snapshot-show', id: string, status: string) {
    return waitFor(
      `${show} ${id} → ${status}`,
      async () => {
        const p = parseProperties((await run('cinder', [show, id])).stdout);
        return p.status === status ? p : undefined;
      },
      15_000,
    );
  }

  test('cinder snapshot-create makes an available snapshot of a volume', async () => {
    const v = parseProperties((await run('cinder', ['create', '1', '--name', 'snapsrc'])).stdout);
    sourceId = v.id ?? '';
    await waitStatus('show', sourceId, 'available');
    const r = await run('cinder', ['snapshot-create', 'snapsrc', '--name', 'snap1', '--metadata', 'k=v']);
    const created = parseProperties(r.stdout);
    assert.equal(created.name, 'snap1');
    assert.equal(created.volume_id, sourceId);
    snapshotId = created.id ?? '';
    const shown = await waitStatus('snapshot-show', snapshotId, 'available');
    assert.equal(shown['os-extended-snapshot-attributes:progress'], '100%');
    const listed = parseTable((await run('cinder', ['snapshot-list'])).stdout).rows;
    assert.deepEqual(
      listed.map((row) => [row.ID, row.Status, row.Name]),
      [[snapshotId, 'available', 'snap1']],
    );
  });

  test('cinder create --snapshot-id and --source-volid make available volumes on the source backend', async () => {
    const fromSnap = parseProperties(
      (await run('cinder', ['create', '--snapshot-id', snapshotId, '--name', 'fromsnap', '2'])).stdout,
    );
    assert.equal(fromSnap.snapshot_id, snapshotId);
    const clone = parseProperties(
      (await run('cinder', ['create', '--source-volid', sourceId, '--name', 'clone1'])).stdout,
    );
    assert.equal(clone.source_volid, sourceId);
    const a = await waitStatus('show', fromSnap.id ?? '', 'available');
    const b = await waitStatus('show', clone.id ?? '', 'available');
    assert.equal(a.size, '2');
    assert.equal(b.size, '1');
    for (const id of [a.id, b.id])
      assert.ok(existsSync(join(kindling.stateDir, 'volumes', `volume-${id}`)), `volume-${id} on disk`);
  });

  test('openstack volume snapshot create/list/show/set/delete', async () => {
    const created = JSON.parse(
      (await run('openstack', ['volume', 'snapshot', 'create', '--volume', 'snapsrc', 'osnap', '-f', 'json']))
        .stdout,
    ) as { id: string; name: string };
    assert.equal(created.name, 'osnap');
    await waitStatus('snapshot-show', created.id, 'available');
    const list = JSON.parse(
      (await run('openstack', ['volume', 'snapshot', 'list', '-f', 'json'])).stdout,
    ) as {
      ID: string;
    }[];
    assert.ok(list.some((s) => s.ID === created.id));
    await run('openstack', ['volume', 'snapshot', 'set', '--name', 'osnap2', '--property', 'x=y', 'osnap']);
    const shown = JSON.parse(
      (await run('openstack', ['volume', 'snapshot', 'show', 'osnap2', '-f', 'json'])).stdout,
    ) as { name: string; properties: Record<string, string> | string };
    assert.equal(shown.name, 'osnap2');
    assert.match(JSON.stringify(shown.properties), /x/);
    await run('openstack', ['volume', 'snapshot', 'delete', 'osnap2']);
    await waitFor(
      'osnap2 deleted',
      async () => ((await run('cinder', ['snapshot-show', created.id], false)).code !== 0 ? true : undefined),
      15_000,
    );
  });

  test('cinder delete is refused while snapshots exist; cinder delete --cascade removes both', async () => {
    const refused = await run('cinder', ['delete', 'snapsrc'], false);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stdout + refused.stderr, /have snapshots/);
    await run('cinder', ['delete', '--cascade', 'snapsrc']);
    await waitFor(
      'snapsrc deleted with its snapshot',
      async () => {
        const snaps = parseTable((await run('cinder', ['snapshot-list'])).stdout).rows;
        const vols = parseTable((await run('cinder', ['list'])).stdout).rows;
        return snaps.length === 0 && !vols.some((v) => v.ID === sourceId) ? true : undefined;
      },
      15_000,
    );
    assert.ok(!existsSync(join(kindling.stateDir, 'volumes', `snapshot-${snapshotId}`)));
  });
});

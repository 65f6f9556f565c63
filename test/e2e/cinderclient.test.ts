/**
 * The seed's story, told with the real Debian `cinder` client (python-cinderclient 9.1.0) against a
 * real `kindling serve`: an admin creates a volume type and a 1 GiB volume of that type, sees it
 * become available as a sparse file, sets and unsets metadata, deletes it and gets the quota back.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  clientSkipReason,
  describeRun,
  kindlingForSuite,
  noauthEnv,
  runCli,
  runClient,
  waitFor,
} from './harness.js';
import { parseProperties, parseTable } from './prettytable.js';

const GiB = 1024 ** 3;

describe('python-cinderclient against Kindling (noauth)', { skip: clientSkipReason('cinder') }, () => {
  const kindling = kindlingForSuite();
  let volumeId = '';

  /** Runs `cinder <args>`; with `expectOk` (default) asserts exit 0, showing the server's log tail. */
  const cinder = (args: string[], expectOk = true) => runClient(kindling, 'cinder', args, { expectOk });

  function volumePath(id: string): string {
    return join(kindling.stateDir, 'volumes', `volume-${id}`);
  }

  function requireVolume(): string {
    assert.ok(volumeId, 'an earlier step did not create the volume');
    return volumeId;
  }

  async function quotaUsage(): Promise<Record<string, Record<string, string>>> {
    const r = await cinder(['quota-usage', 'admin']);
    return Object.fromEntries(parseTable(r.stdout).rows.map((row) => [row.Type ?? '', row]));
  }

  test('admin creates the volume type FCVolumeType', async () => {
    const r = await cinder(['type-create', 'FCVolumeType']);
    const [row] = parseTable(r.stdout).rows;
    assert.equal(row?.Name, 'FCVolumeType');
    assert.equal(row?.Is_Public, 'True');
    assert.match(row?.ID ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    const listed = parseTable((await cinder(['type-list'])).stdout).rows.map((t) => t.Name);
    assert.ok(listed.includes('FCVolumeType'), `type-list shows ${listed.join(', ')}`);
  });

  test('cinder create 1 --name firstvol --volume-type FCVolumeType becomes available', async () => {
    const r = await cinder(['create', '1', '--name', 'firstvol', '--volume-type', 'FCVolumeType']);
    const created = parseProperties(r.stdout);
    assert.equal(created.name, 'firstvol');
    assert.equal(created.size, '1');
    assert.equal(created.volume_type, 'FCVolumeType');
    assert.ok(['creating', 'available'].includes(created.status ?? ''), `status ${created.status}`);
    volumeId = created.id ?? '';
    assert.match(volumeId, /^[0-9a-f-]{36}$/);

    const shown = await waitFor(
      'firstvol to become available',
      async () => {
        const props = parseProperties((await cinder(['show', volumeId])).stdout);
        assert.notEqual(props.status, 'error', `volume went to error:\n${JSON.stringify(props, null, 1)}`);
        return props.status === 'available' ? props : undefined;
      },
      // NOTE: a bound on waiting, not a speed check (speed lives in bench/): each `cinder show` is
      // a Python start-up, seconds on a loaded machine.
      60_000,
      50,
    );
    assert.equal(shown.id, volumeId);
    assert.equal(shown.name, 'firstvol');
    assert.equal(shown.volume_type, 'FCVolumeType');
    assert.equal(shown.size, '1');
    assert.equal(shown.bootable, 'false');
    assert.equal(shown['os-vol-tenant-attr:tenant_id'], 'admin');
    assert.match(shown['os-vol-host-attr:host'] ?? '', /^.+@.+#.+$/, 'host is host@backend#pool');
  });

  test('the volume is a sparse 1 GiB file in the state dir', async () => {
    const st = await stat(volumePath(requireVolume()));
    assert.ok(st.isFile());
    assert.equal(st.size, GiB);
    const allocated = st.blocks * 512;
    assert.ok(allocated < GiB / 64, `file is not sparse: ${allocated} bytes allocated of ${st.size}`);
  });

  test('cinder list shows it; the same by name and without the project id in the URL', async () => {
    const id = requireVolume();
    const rows = parseTable((await cinder(['list'])).stdout).rows;
    const row = rows.find((v) => v.ID === id);
    assert.ok(row, `list has no ${id}:\n${JSON.stringify(rows)}`);
    assert.equal(row.Name, 'firstvol');
    assert.equal(row.Status, 'available');
    assert.equal(row.Size, '1');
    assert.equal(row['Volume Type'], 'FCVolumeType');
    assert.equal(row.Bootable, 'false');

    // NOTE: `cinder show <name>` resolves names with GET /volumes/detail?all_tenants=1&name=<name>.
    assert.equal(parseProperties((await cinder(['show', 'firstvol'])).stdout).id, id);

    const env = { ...noauthEnv('cinder', kindling.url), CINDER_ENDPOINT: `${kindling.url}/v3` };
    const bare = await runCli('cinder', ['list'], env);
    assert.equal(bare.code, 0, describeRun('cinder', ['list'], bare));
    assert.deepEqual(
      parseTable(bare.stdout).rows.map((v) => v.ID),
      [id],
    );
  });

  test('quota usage counts the volume', async () => {
    const usage = await quotaUsage();
    assert.equal(usage.volumes?.In_use, '1');
    assert.equal(usage.gigabytes?.In_use, '1');
    assert.equal(usage.volumes_FCVolumeType?.In_use, '1');
  });

  test('metadata set, show and unset', async () => {
    requireVolume();
    await cinder(['metadata', 'firstvol', 'set', 'k=v']);
    const shown = parseProperties((await cinder(['metadata-show', 'firstvol'])).stdout);
    assert.deepEqual(shown, { k: 'v' });

    await cinder(['metadata', 'firstvol', 'unset', 'k']);
    const after = parseTable((await cinder(['metadata-show', 'firstvol'])).stdout);
    assert.deepEqual(after.rows, []);
  });

  test('unknown names and ids are reported as missing', async () => {
    const r = await cinder(['show', 'no-such-volume'], false);
    assert.equal(r.code, 1, describeRun('cinder', ['show', 'no-such-volume'], r));
    assert.match(r.stderr, /No volume with a name or ID of 'no-such-volume' exists\./);
  });

  test('cinder delete firstvol removes the file and gives the quota back', async () => {
    const id = requireVolume();
    const r = await cinder(['delete', 'firstvol']);
    assert.match(r.stdout, /Request to delete volume firstvol has been accepted\./);

    await waitFor(
      'firstvol to disappear from cinder list',
      async () => {
        const rows = parseTable((await cinder(['list'])).stdout).rows;
        const row = rows.find((v) => v.ID === id);
        assert.notEqual(row?.Status, 'error_deleting', 'delete failed');
        return row === undefined ? true : undefined;
      },
      10_000,
      100,
    );
    await assert.rejects(stat(volumePath(id)), { code: 'ENOENT' });

    const usage = await quotaUsage();
    assert.equal(usage.volumes?.In_use, '0');
    assert.equal(usage.gigabytes?.In_use, '0');
    assert.equal(usage.volumes_FCVolumeType?.In_use, '0');
  });
});

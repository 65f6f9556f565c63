/**
 * The unified `openstack` client (Debian python3-openstackclient 6.0.0) against a real
 * `kindling serve` in noauth mode: volume create / list / show / set / delete with `-f json`,
 * configured by environment variables and by a clouds.yaml, as docs/clients.md tells users to.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CLI_PATHS,
  clientSkipReason,
  clientsAvailable,
  describeRun,
  kindlingForSuite,
  noauthEnv,
  runCli,
  runClient,
  waitFor,
} from './harness.js';
import { REPO_ROOT } from '../support/server-process.js';

/** The fields of `openstack volume show -f json` the tests look at. */
interface OscVolume {
  id: string;
  name: string | null;
  size: number;
  status: string;
  type: string | null;
  properties: Record<string, string>;
  bootable: string;
}

/** A row of `openstack volume list -f json`. */
interface OscVolumeRow {
  ID: string;
  Name: string;
  Status: string;
  Size: number;
  'Attached to': unknown[];
}

describe('python-openstackclient against Kindling (noauth)', { skip: clientSkipReason('openstack') }, () => {
  const kindling = kindlingForSuite();
  let volumeId = '';

  const osc = (args: string[], env?: Record<string, string>) =>
    runClient(kindling, 'openstack', args, { env });

  async function oscJson<T>(args: string[]): Promise<T> {
    const r = await osc([...args, '-f', 'json']);
    return JSON.parse(r.stdout) as T;
  }

  function requireVolume(): string {
    assert.ok(volumeId, 'an earlier step did not create the volume');
    return volumeId;
  }

  test('openstack volume create --size 1 osc1 (no image service needed)', async () => {
    const created = await oscJson<OscVolume>(['volume', 'create', '--size', '1', 'osc1']);
    assert.equal(created.name, 'osc1');
    assert.equal(created.size, 1);
    assert.deepEqual(created.properties, {});
    assert.ok(['creating', 'available'].includes(created.status), `status ${created.status}`);
    volumeId = created.id;
    assert.match(volumeId, /^[0-9a-f-]{36}$/);

    const shown = await waitFor(
      'osc1 to become available',
      async () => {
        const v = await oscJson<OscVolume>(['volume', 'show', volumeId]);
        assert.notEqual(v.status, 'error', 'volume went to error');
        return v.status === 'available' ? v : undefined;
      },
      10_000,
      100,
    );
    assert.equal(shown.name, 'osc1');
    assert.equal(shown.bootable, 'false');
    assert.ok(shown.type, 'the default volume type is set');
    const st = await stat(join(kindling.stateDir, 'volumes', `volume-${volumeId}`));
    assert.equal(st.size, 1024 ** 3);
  });

  test('openstack volume list shows it', async () => {
    const id = requireVolume();
    const rows = await oscJson<OscVolumeRow[]>(['volume', 'list']);
    assert.deepEqual(
      rows.find((r) => r.ID === id),
      { ID: id, Name: 'osc1', Status: 'available', Size: 1, 'Attached to': [] },
    );
  });

  test('openstack volume show finds it by name', async () => {
    const id = requireVolume();
    const v = await oscJson<OscVolume>(['volume', 'show', 'osc1']);
    assert.equal(v.id, id);
  });

  test('openstack volume set --name osc2 --property a=b', async () => {
    const id = requireVolume();
    const r = await osc(['volume', 'set', '--name', 'osc2', '--property', 'a=b', 'osc1']);
    assert.equal(r.stdout, '');
    const v = await oscJson<OscVolume>(['volume', 'show', id]);
    assert.equal(v.name, 'osc2');
    assert.deepEqual(v.properties, { a: 'b' });
    await assert.rejects(
      oscJson<OscVolume>(['volume', 'show', 'osc1']),
      /No volume with a name or ID of 'osc1' exists\./,
    );
  });

  test('a clouds.yaml with has_image: false works the same', async () => {
    const id = requireVolume();
    const dir = await mkdtemp(join(tmpdir(), 'kindling-clouds-'));
    try {
      const cloudsYaml = join(dir, 'clouds.yaml');
      await writeFile(
        cloudsYaml,
        [
          'clouds:',
          '  kindling:',
          '    auth_type: noauth',
          '    auth:',
          '      user_id: admin',
          '      project_id: admin',
          `      endpoint: ${kindling.url}/v3`,
          '    has_image: false',
          '',
        ].join('\n'),
      );
      const env = { OS_CLIENT_CONFIG_FILE: cloudsYaml, OS_CLOUD: 'kindling' };
      const r = await osc(['volume', 'list', '-f', 'json'], env);
      const rows = JSON.parse(r.stdout) as OscVolumeRow[];
      assert.deepEqual(
        rows.map((v) => [v.ID, v.Name]),
        [[id, 'osc2']],
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('the environment from scripts/client-env.sh serves both clients', async (t) => {
    if (!clientsAvailable('cinder')) {
      t.skip('python3-cinderclient is not installed');
      return;
    }
    const id = requireVolume();
    const script = [
      `eval "$(${join(REPO_ROOT, 'scripts', 'client-env.sh')} ${kindling.url})"`,
      `${CLI_PATHS.openstack} volume list -f json -c ID`,
      `${CLI_PATHS.cinder} show ${id}`,
    ].join(' && ');
    const r = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn('/bin/bash', ['-c', script], {
        env: { PATH: '/usr/bin:/bin', HOME: tmpdir(), LC_ALL: 'C.UTF-8' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
      child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, out }));
    });
    assert.equal(r.code, 0, r.out);
    assert.ok(r.out.includes(`"ID": "${id}"`), r.out);
    assert.match(r.out, /\| name\s+\| osc2\s+\|/);
  });

  test('openstack volume delete osc2 removes it and its file', async () => {
    const id = requireVolume();
    const r = await osc(['volume', 'delete', 'osc2']);
    assert.equal(r.stdout, '');
    await waitFor(
      'osc2 to disappear from volume list',
      async () => {
        const rows = await oscJson<OscVolumeRow[]>(['volume', 'list']);
        const row = rows.find((v) => v.ID === id);
        assert.notEqual(row?.Status, 'error_deleting', 'delete failed');
        return row === undefined ? true : undefined;
      },
      10_000,
      100,
    );
    await assert.rejects(stat(join(kindling.stateDir, 'volumes', `volume-${id}`)), { code: 'ENOENT' });

    const missing = await runCli('openstack', ['volume', 'delete', id], noauthEnv('openstack', kindling.url));
    assert.equal(missing.code, 1, describeRun('openstack', ['volume', 'delete', id], missing));
    assert.match(missing.stderr, /1 of 1 volumes failed to delete\./);
  });
});

/**
 * Volume types complete, with the real Debian clients against a real `kindling serve` (noauth):
 * a private type and its access list, `volume type set --property`, QoS specs created, associated
 * and removed with `openstack volume qos`, a project default type with `cinder default-type-*`
 * (3.62) and an encryption spec with `cinder encryption-type-*`.
 * NOTE: giving a project access is done over HTTP here: `openstack volume type set --project` looks
 * the project up in Keystone, and `cinder type-access-add --project-id` sends that project as the
 * noauth caller's, so neither can work without Keystone.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clientSkipReason, kindlingForSuite, runClient, type CliName } from './harness.js';
import { parseProperties, parseTable } from './prettytable.js';

const PROJECT_B = '0b5a2e0c00004000800000000000000b';

/** The fields of `openstack volume type show -f json` the tests look at. */
interface OscType {
  id: string;
  name: string;
  is_public: boolean;
  properties: Record<string, string>;
  qos_specs_id: string | null;
  access_project_ids?: string[];
}

/** The fields of `openstack volume qos show -f json`. */
interface OscQos {
  id: string;
  name: string;
  consumer: string;
  properties: Record<string, string>;
  associations?: string[];
}

const skip = clientSkipReason('openstack') || clientSkipReason('cinder');

describe('volume types, access, QoS, defaults and encryption with the stock clients', { skip }, () => {
  const kindling = kindlingForSuite();

  const run = (bin: CliName, args: string[]) => runClient(kindling, bin, args);
  const osc = async <T>(args: string[]): Promise<T> =>
    JSON.parse((await run('openstack', [...args, '-f', 'json'])).stdout) as T;

  test('a private type, its properties and its access list', async () => {
    const created = await osc<OscType>(['volume', 'type', 'create', '--private', 'privt']);
    assert.equal(created.is_public, false);
    await run('openstack', ['volume', 'type', 'set', '--property', 'tier=gold', 'privt']);

    const res = await fetch(`${kindling.url}/v3/types/${created.id}/action`, {
      method: 'POST',
      headers: { 'x-auth-token': 'admin:admin', 'content-type': 'application/json' },
      body: JSON.stringify({ addProjectAccess: { project: PROJECT_B } }),
    });
    assert.equal(res.status, 202, await res.text());

    const shown = await osc<OscType>(['volume', 'type', 'show', 'privt']);
    assert.deepEqual(shown.properties, { tier: 'gold' });
    assert.deepEqual(shown.access_project_ids, [PROJECT_B]);
    const access = parseTable((await run('cinder', ['type-access-list', '--volume-type', 'privt'])).stdout);
    assert.deepEqual(access.rows, [{ Volume_type_ID: created.id, Project_ID: PROJECT_B }]);
  });

  test('openstack volume qos create / associate / set / unset / disassociate / delete', async () => {
    const q = await osc<OscQos>([
      'volume',
      'qos',
      'create',
      '--consumer',
      'front-end',
      '--property',
      'total_iops_sec=500',
      'q1',
    ]);
    assert.equal(q.consumer, 'front-end');
    assert.deepEqual(q.properties, { total_iops_sec: '500' });

    await run('openstack', ['volume', 'qos', 'associate', 'q1', 'privt']);
    await run('openstack', ['volume', 'qos', 'set', '--property', 'read_iops_sec=100', 'q1']);
    await run('openstack', ['volume', 'qos', 'unset', '--property', 'total_iops_sec', 'q1']);
    const shown = await osc<OscQos>(['volume', 'qos', 'show', 'q1']);
    assert.deepEqual(shown.associations, ['privt']);
    assert.deepEqual(shown.properties, { read_iops_sec: '100' });
    assert.equal((await osc<OscType>(['volume', 'type', 'show', 'privt'])).qos_specs_id, q.id);

    await run('openstack', ['volume', 'qos', 'disassociate', '--volume-type', 'privt', 'q1']);
    assert.equal((await osc<OscType>(['volume', 'type', 'show', 'privt'])).qos_specs_id, null);
    await run('openstack', ['volume', 'qos', 'delete', 'q1']);
    assert.deepEqual(await osc<unknown[]>(['volume', 'qos', 'list']), []);
  });

  test('cinder default-type-set / list / unset (3.62)', async () => {
    const mv = ['--os-volume-api-version', '3.62'];
    const set = parseProperties(
      (await run('cinder', [...mv, 'default-type-set', 'privt', PROJECT_B])).stdout,
    );
    assert.equal(set.project_id, PROJECT_B);
    const list = parseTable((await run('cinder', [...mv, 'default-type-list'])).stdout);
    assert.equal(list.rows.length, 1);
    assert.equal(list.rows[0]?.['Project ID'], PROJECT_B);
    await run('cinder', [...mv, 'default-type-unset', PROJECT_B]);
    assert.deepEqual(parseTable((await run('cinder', [...mv, 'default-type-list'])).stdout).rows, []);
  });

  test('cinder encryption-type-create / show / update / delete', async () => {
    await run('cinder', [
      'encryption-type-create',
      '--cipher',
      'aes-xts-plain64',
      '--key-size',
      '256',
      '--control-location',
      'front-end',
      'privt',
      'luks',
    ]);
    await run('cinder', ['encryption-type-update', '--cipher', 'aes-cbc', 'privt']);
    const [row] = parseTable((await run('cinder', ['encryption-type-show', 'privt'])).stdout).rows;
    assert.equal(row?.Provider, 'luks');
    assert.equal(row?.Cipher, 'aes-cbc');
    assert.equal(row?.['Key Size'], '256');
    await run('cinder', ['encryption-type-delete', 'privt']);
    const after = await run('cinder', ['encryption-type-show', 'privt']);
    assert.deepEqual(parseTable(after.stdout).rows, []);
  });
});

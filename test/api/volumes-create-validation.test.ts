import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestKindling } from '../support/kindling.js';

const UUID = '2b1f6b36-8a3e-4a6e-9c4d-8d8f8b1c2d3e';
const mv = (v: string) => ({ 'openstack-api-version': `volume ${v}` });

/** [story, body, headers, status, fault message] — what a client sees for each bad create. */
const CASES: [string, unknown, Record<string, string>, number, string][] = [
  ['a body that is not JSON', '{"volume": ', {}, 400, 'Malformed request body'],
  ['no volume key', {}, {}, 400, "'volume' is a required property"],
  [
    'volume is null',
    { volume: null },
    {},
    400,
    "Invalid input for field/attribute volume. Value: None. None is not of type 'object'",
  ],
  [
    'an unknown top-level key',
    { volume: { size: 1 }, foo: 1 },
    {},
    400,
    "Additional properties are not allowed ('foo' was unexpected)",
  ],
  [
    'size is a word',
    { volume: { size: 'abc' } },
    {},
    400,
    "Invalid input for field/attribute size. Value: abc. 'abc' does not match '^[0-9]+$'",
  ],
  [
    'size 0',
    { volume: { size: 0 } },
    {},
    400,
    'Invalid input for field/attribute size. Value: 0. 0 is less than the minimum of 1',
  ],
  [
    'size "0" (numeric strings are range-checked too)',
    { volume: { size: '0' } },
    {},
    400,
    'Invalid input for field/attribute size. Value: 0. 0 is less than the minimum of 1',
  ],
  [
    'size -1',
    { volume: { size: -1 } },
    {},
    400,
    'Invalid input for field/attribute size. Value: -1. -1 is less than the minimum of 1',
  ],
  [
    'size 1.5',
    { volume: { size: 1.5 } },
    {},
    400,
    "Invalid input for field/attribute size. Value: 1.5. 1.5 is not of type 'integer', 'string', 'null'",
  ],
  [
    'size above the DB maximum',
    { volume: { size: 3000000000 } },
    {},
    400,
    'Invalid input for field/attribute size. Value: 3000000000. 3000000000 is greater than the maximum of 2147483647',
  ],
  [
    'no size and no source',
    { volume: {} },
    {},
    400,
    "Invalid input received: Volume size 'None' must be an integer and greater than 0",
  ],
  [
    'an unknown type name',
    { volume: { size: 1, volume_type: 'nope' } },
    {},
    404,
    'Volume type with name nope could not be found.',
  ],
  [
    'an unknown type id',
    { volume: { size: 1, volume_type: UUID } },
    {},
    404,
    `Volume type ${UUID} could not be found.`,
  ],
  [
    'snapshot_id that is not a UUID',
    { volume: { size: 1, snapshot_id: 'xyz' } },
    {},
    400,
    "Invalid input for field/attribute snapshot_id. Value: xyz. 'xyz' is not valid under any of the given schemas",
  ],
  [
    'a snapshot that does not exist',
    { volume: { size: 1, snapshot_id: UUID } },
    {},
    404,
    `Snapshot ${UUID} could not be found.`,
  ],
  [
    'a source volume that does not exist',
    { volume: { size: 1, source_volid: UUID } },
    {},
    404,
    `Volume ${UUID} could not be found.`,
  ],
  [
    'a backup that does not exist (3.47)',
    { volume: { size: 1, backup_id: UUID } },
    mv('3.47'),
    404,
    `Backup ${UUID} could not be found.`,
  ],
  [
    'a group that does not exist (3.13)',
    { volume: { size: 1, group_id: UUID } },
    mv('3.13'),
    404,
    `Group ${UUID} could not be found.`,
  ],
  [
    'an image with no image service',
    { volume: { size: 1, imageRef: 'cirros' } },
    {},
    400,
    'Invalid image identifier or unable to access requested image.',
  ],
  [
    'multiattach=true (removed parameter)',
    { volume: { size: 1, multiattach: true } },
    {},
    400,
    'Invalid input received: multiattach parameter has been removed. The default behavior is to use multiattach enabled volume types. Contact your administrator to create a multiattach enabled volume type and use it to create multiattach volumes.',
  ],
  [
    'a metadata value that is not a string',
    { volume: { size: 1, metadata: { k: 1 } } },
    {},
    400,
    "Invalid input for field/attribute k. Value: 1. 1 is not of type 'string'",
  ],
  [
    'metadata that is a list',
    { volume: { size: 1, metadata: ['a'] } },
    {},
    400,
    "Invalid input for field/attribute metadata. Value: ['a']. ['a'] is not of type 'object', 'null'",
  ],
  [
    'a name over 255 characters',
    { volume: { size: 1, name: 'n'.repeat(256) } },
    {},
    400,
    'Invalid input received: name has 256 characters, more than 255.',
  ],
  [
    'a description over 255 characters',
    { volume: { size: 1, description: 'n'.repeat(256) } },
    {},
    400,
    'Invalid input received: description has 256 characters, more than 255.',
  ],
  [
    'an unknown availability zone',
    { volume: { size: 1, availability_zone: 'mars' } },
    {},
    400,
    "Availability zone 'mars' is invalid.",
  ],
  [
    'an unknown key at 3.53',
    { volume: { size: 1, foo: 1 } },
    mv('3.53'),
    400,
    "Invalid input for field/attribute volume. Value: {'size': 1, 'foo': 1}. Additional properties are not allowed ('foo' was unexpected)",
  ],
];

test('every create validation branch answers with Cinder status and message, and creates nothing', async (t) => {
  const kt = await startTestKindling();
  t.after(() => kt.close());
  for (const [story, body, headers, status, message] of CASES) {
    const r = await kt.req('POST', '/v3/admin/volumes', body, headers);
    assert.equal(r.status, status, `${story}: ${JSON.stringify(r.body)}`);
    const fault = status === 404 ? 'itemNotFound' : 'badRequest';
    assert.deepEqual(r.body, { [fault]: { code: status, message } }, story);
  }
  const list = await kt.req('GET', '/v3/admin/volumes');
  assert.deepEqual(list.body.volumes, []);
  const q = await kt.req('GET', '/v3/admin/os-quota-sets/admin?usage=true');
  assert.deepEqual([q.body.quota_set.volumes.in_use, q.body.quota_set.volumes.reserved], [0, 0]);
});

test('long metadata keys and values are refused', async (t) => {
  const kt = await startTestKindling();
  t.after(() => kt.close());
  const key = await kt.req('POST', '/v3/admin/volumes', {
    volume: { size: 1, metadata: { ['k'.repeat(256)]: 'v' } },
  });
  assert.equal(key.status, 400);
  assert.match(
    key.body.badRequest.message,
    /^Invalid input for field\/attribute metadata\. .*does not match any of the regexes/,
  );
  const value = await kt.req('POST', '/v3/admin/volumes', {
    volume: { size: 1, metadata: { k: 'v'.repeat(256) } },
  });
  assert.equal(value.status, 400);
  assert.match(
    value.body.badRequest.message,
    /^Invalid input for field\/attribute k\. Value: v+\. 'v+' is too long$/,
  );
});

test('accepted forms: size as a digit string, unknown keys below 3.53, legacy display_name', async (t) => {
  const kt = await startTestKindling();
  t.after(() => kt.close());
  const str = await kt.req('POST', '/v3/admin/volumes', {
    volume: { size: '2', display_name: 'legacy', display_description: 'd' },
  });
  assert.equal(str.status, 202);
  assert.equal(str.body.volume.size, 2);
  assert.equal(str.body.volume.name, 'legacy');
  assert.equal(str.body.volume.description, 'd');
  assert.equal(str.body.volume.status, 'creating');
  assert.equal(str.body.volume.volume_type, '__DEFAULT__');
  assert.equal('os-vol-host-attr:host' in str.body.volume, false, 'create answers without show-only fields');
  const extra = await kt.req('POST', '/v3/admin/volumes', { volume: { size: 1, foo: 1 } });
  assert.equal(extra.status, 202);
});

test('a type with provisioning:min_vol_size / max_vol_size bounds the size', async (t) => {
  const kt = await startTestKindling();
  t.after(() => kt.close());
  const type = await kt.req('POST', '/v3/admin/types', {
    volume_type: {
      name: 'bounded',
      extra_specs: { 'provisioning:min_vol_size': '2', 'provisioning:max_vol_size': '4' },
    },
  });
  assert.equal(type.status, 200);
  const small = await kt.req('POST', '/v3/admin/volumes', { volume: { size: 1, volume_type: 'bounded' } });
  assert.deepEqual(small.body, {
    badRequest: {
      code: 400,
      message:
        "Invalid input received: Specified volume size of '1' is less than the minimum required size of '2' for volume type 'bounded'.",
    },
  });
  const big = await kt.req('POST', '/v3/admin/volumes', { volume: { size: 5, volume_type: 'bounded' } });
  assert.deepEqual(big.body, {
    badRequest: {
      code: 400,
      message:
        "Invalid input received: Specified volume size of '5' is greater than the maximum allowable size of '4' for volume type 'bounded'.",
    },
  });
  assert.equal(
    (await kt.req('POST', '/v3/admin/volumes', { volume: { size: 3, volume_type: 'bounded' } })).status,
    202,
  );
});

test('a type restricted to other availability zones is refused', async (t) => {
  const kt = await startTestKindling();
  t.after(() => kt.close());
  await kt.req('POST', '/v3/admin/types', {
    volume_type: { name: 'elsewhere', extra_specs: { 'RESKEY:availability_zones': 'mars,venus' } },
  });
  const r = await kt.req('POST', '/v3/admin/volumes', { volume: { size: 1, volume_type: 'elsewhere' } });
  assert.deepEqual(r.body, {
    badRequest: {
      code: 400,
      message: 'Volume type is only supported in these availability zones: mars,venus',
    },
  });
});

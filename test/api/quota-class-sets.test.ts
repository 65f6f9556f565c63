/**
 * `/os-quota-class-sets/{class}`: show and update class limits (per-type keys included), with
 * Cinder's validation texts; class `default` is what projects without limits of their own get.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type TestResponse } from '../support/kindling.js';
import { startForTest } from '../support/start-for-test.js';
import { QUOTA_DEFAULTS as DEFAULTS } from './quota-defaults.js';

function assertBadRequest(r: TestResponse, message: string): void {
  assert.equal(r.status, 400, r.text);
  assert.deepEqual(r.body, { badRequest: { code: 400, message } });
}

test('show: any class name answers every resource, its own limits over the defaults', async (t) => {
  const k = await startForTest(t);
  const d = await k.req('GET', '/v3/admin/os-quota-class-sets/default');
  assert.equal(d.status, 200);
  assert.deepEqual(d.body, { quota_class_set: { ...DEFAULTS, id: 'default' } });
  const other = await k.req('GET', '/v3/os-quota-class-sets/gold-class');
  assert.deepEqual(other.body, { quota_class_set: { ...DEFAULTS, id: 'gold-class' } });
});

test('update: stored, answered without id, strings of digits taken as numbers', async (t) => {
  const k = await startForTest(t);
  await k.req('POST', '/v3/types', { volume_type: { name: 'gold' } });
  const r = await k.req('PUT', '/v3/admin/os-quota-class-sets/silver', {
    quota_class_set: { volumes: 7, gigabytes: '20', volumes_gold: 3 },
  });
  assert.equal(r.status, 200, r.text);
  const expected = {
    ...DEFAULTS,
    volumes: 7,
    gigabytes: 20,
    volumes_gold: 3,
    gigabytes_gold: -1,
    snapshots_gold: -1,
  };
  assert.deepEqual(r.body, { quota_class_set: expected });
  const shown = await k.req('GET', '/v3/admin/os-quota-class-sets/silver');
  assert.deepEqual(shown.body, { quota_class_set: { ...expected, id: 'silver' } });
  // Updating again changes the row rather than adding one; -1 is allowed; {} changes nothing.
  await k.req('PUT', '/v3/admin/os-quota-class-sets/silver', { quota_class_set: { volumes: -1 } });
  const empty = await k.req('PUT', '/v3/admin/os-quota-class-sets/silver', { quota_class_set: {} });
  assert.equal(empty.status, 200);
  assert.equal(empty.body.quota_class_set.volumes, -1);
  const rows = await k.db
    .selectFrom('quota_classes')
    .select('hard_limit')
    .where('class_name', '=', 'silver')
    .where('resource', '=', 'volumes')
    .where('deleted', '=', 0)
    .execute();
  assert.deepEqual(rows, [{ hard_limit: -1 }]);
  // Another class is untouched.
  assert.equal(
    (await k.req('GET', '/v3/admin/os-quota-class-sets/default')).body.quota_class_set.volumes,
    10,
  );
});

test("the default class is every project's default", async (t) => {
  const k = await startForTest(t);
  const r = await k.req('PUT', '/v3/admin/os-quota-class-sets/default', {
    quota_class_set: { volumes: 4, snapshots___DEFAULT__: 2 },
  });
  assert.equal(r.status, 200, r.text);
  const defaults = (await k.req('GET', '/v3/admin/os-quota-sets/demo/defaults')).body.quota_set;
  assert.equal(defaults.volumes, 4);
  assert.equal(defaults.snapshots___DEFAULT__, 2);
  const show = (await k.req('GET', '/v3/admin/os-quota-sets/demo')).body.quota_set;
  assert.equal(show.volumes, 4);
  // A project's own limit still wins.
  await k.req('PUT', '/v3/admin/os-quota-sets/demo', { quota_set: { volumes: 6 } });
  assert.equal((await k.req('GET', '/v3/admin/os-quota-sets/demo')).body.quota_set.volumes, 6);
  // And the class limit is enforced on creates.
  await k.req('PUT', '/v3/admin/os-quota-class-sets/default', { quota_class_set: { volumes: 0 } });
  const create = await k.req('POST', '/v3/admin/volumes', { volume: { size: 1 } });
  assert.equal(create.status, 413);
  assert.equal(
    create.body.overLimit.message,
    "VolumeLimitExceeded: Maximum number of volumes allowed (0) exceeded for quota 'volumes'.",
  );
});

test("update refusals carry Cinder's texts", async (t) => {
  const k = await startForTest(t);
  const put = (body: unknown, name = 'silver') => k.req('PUT', `/v3/admin/os-quota-class-sets/${name}`, body);
  assertBadRequest(
    await put({ quota_class_set: { volumes: 7, foo: 1, bar: 'x' } }),
    'Invalid input received: Bad key(s) in quota class set: foo, bar',
  );
  assertBadRequest(
    await put({ quota_class_set: { foo: -5 } }),
    'Invalid input received: Bad key(s) in quota class set: foo',
  );
  assertBadRequest(
    await put({ quota_class_set: { volumes: '-1' } }),
    "Invalid input for field/attribute volumes. Value: -1. '-1' does not match '^[0-9]*$'",
  );
  assertBadRequest(
    await put({ quota_class_set: { volumes: -2 } }),
    'Invalid input for field/attribute volumes. Value: -2. -2 is less than the minimum of -1',
  );
  assertBadRequest(
    await put({ quota_class_set: { volumes: 1.5 } }),
    "Invalid input for field/attribute volumes. Value: 1.5. 1.5 is not of type 'integer', 'string'",
  );
  assertBadRequest(
    await put({ quota_class_set: { volumes: 2147483648 } }),
    'Invalid input for field/attribute volumes. Value: 2147483648. 2147483648 is greater than the maximum of 2147483647',
  );
  assertBadRequest(
    await put({ quota_class_set: { volumes: '' } }),
    "Invalid input for field/attribute volumes. Value: . '' is too short",
  );
  assertBadRequest(
    await put({ quota_class_set: { volumes: null } }),
    "Invalid input for field/attribute volumes. Value: None. None is not of type 'integer', 'string'",
  );
  assertBadRequest(
    await put({ quota_class_set: 'abc' }),
    "Invalid input for field/attribute quota_class_set. Value: abc. 'abc' is not of type 'object'",
  );
  assertBadRequest(await put({ foo: {} }), "'quota_class_set' is a required property");
  assertBadRequest(
    await put({ quota_class_set: { volumes: 3 }, x: 1 }),
    "Additional properties are not allowed ('x' was unexpected)",
  );
  // Nothing was stored by any of them.
  const rows = await k.db
    .selectFrom('quota_classes')
    .select('id')
    .where('class_name', '=', 'silver')
    .execute();
  assert.deepEqual(rows, []);
});

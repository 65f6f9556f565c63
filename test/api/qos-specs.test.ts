/**
 * `/qos-specs`: create, list, show, set and delete keys, delete (with and without `force`), and
 * associating specs with volume types, with the answers Real Cinder Zed gives (compared side by side).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type TestKindling } from '../support/kindling.js';
import { startForTest } from '../support/start-for-test.js';
import { createType } from '../support/volume-types.js';
import { volumeTypeQosSpecs } from '../../src/volume/volume-types.js';

const MISSING = '0b5a2e0c-0000-4000-8000-000000000000';
const BAD_CONSUMER =
  "Invalid qos specs: Valid consumer of QoS specs are: QoSConsumerValues(default=<class 'oslo_versionedobjects.fields.UnspecifiedDefault'>," +
  "nullable=False,valid_values=('back-end', 'front-end', 'both'))";

async function createQos(k: TestKindling, spec: Record<string, unknown>): Promise<any> {
  const r = await k.req('POST', '/v3/admin/qos-specs', { qos_specs: spec });
  assert.equal(r.status, 200, r.text);
  return r.body.qos_specs;
}

const show = async (k: TestKindling, id: string) => (await k.req('GET', `/v3/admin/qos-specs/${id}`)).body;

test('create answers the spec with links; show, and the create errors', async (t) => {
  const k = await startForTest(t);
  const r = await k.req('POST', '/v3/admin/qos-specs', {
    qos_specs: { name: ' fast ', consumer: 'front-end', total_iops_sec: '1000', unset_me: null },
  });
  assert.equal(r.status, 200, r.text);
  const id = r.body.qos_specs.id;
  assert.match(id, /^[0-9a-f-]{36}$/);
  const self: string = r.body.links[0].href;
  const host = self.slice(0, self.indexOf('/v3/'));
  const expected = {
    qos_specs: { id, name: 'fast', consumer: 'front-end', specs: { total_iops_sec: '1000' } },
    links: [
      { rel: 'self', href: `${host}/v3/admin/qos-specs/${id}` },
      { rel: 'bookmark', href: `${host}/admin/qos-specs/${id}` },
    ],
  };
  assert.deepEqual(r.body, expected);
  assert.deepEqual(await show(k, id), expected);
  await k.notifications.waitForEvents(['qos_specs.create']);

  const plain = await createQos(k, { name: 'plain' });
  assert.deepEqual(plain, { id: plain.id, name: 'plain', consumer: 'back-end', specs: {} });

  const cases: [unknown, number, string][] = [
    [{ qos_specs: { name: 'fast' } }, 409, 'QoS Specs fast already exists.'],
    [{ qos_specs: { name: 'x', consumer: 'bogus' } }, 400, BAD_CONSUMER],
    [{ qos_specs: { name: 'x', consumer: '' } }, 400, BAD_CONSUMER],
    [
      { qos_specs: { name: 'x', k: 5 } },
      400,
      'Invalid input received: Value for key "k" is not a string or unicode',
    ],
    [
      { qos_specs: { name: 'x', k: 'v'.repeat(256) } },
      400,
      'Invalid input received: Value for key "k" has 256 characters, more than 255.',
    ],
    [
      { qos_specs: { name: '  ' } },
      400,
      "An invalid 'name' value was provided. The 'name' can not be empty.",
    ],
    [
      { qos_specs: {} },
      400,
      "Invalid input for field/attribute qos_specs. Value: {}. 'name' is a required property",
    ],
    [{}, 400, "'qos_specs' is a required property"],
  ];
  for (const [body, status, message] of cases) {
    const res = await k.req('POST', '/v3/admin/qos-specs', body);
    assert.equal(res.status, status, JSON.stringify(body));
    assert.equal(Object.values(res.body as Record<string, any>)[0].message, message, JSON.stringify(body));
  }
  const names = (await k.req('GET', '/v3/admin/qos-specs')).body.qos_specs.map((s: any) => s.name).sort();
  assert.deepEqual(names, ['fast', 'plain'], 'nothing was created by the failed requests');

  const missing = await k.req('GET', `/v3/admin/qos-specs/${MISSING}`);
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.body, { itemNotFound: { code: 404, message: `No such QoS spec ${MISSING}.` } });
});

test('set keys and consumer, null values, delete_keys up to the first missing key', async (t) => {
  const k = await startForTest(t);
  const q = await createQos(k, { name: 'q', consumer: 'front-end', total_iops_sec: '1000' });
  const url = `/v3/admin/qos-specs/${q.id}`;

  const set = await k.req('PUT', url, { qos_specs: { total_iops_sec: '2000', new: 'v', consumer: 'both' } });
  assert.equal(set.status, 200);
  assert.deepEqual(set.body, { qos_specs: { total_iops_sec: '2000', new: 'v', consumer: 'both' } });
  assert.deepEqual((await show(k, q.id)).qos_specs, {
    id: q.id,
    name: 'q',
    consumer: 'both',
    specs: { total_iops_sec: '2000', new: 'v' },
  });

  // Null clears an existing key's value and adds nothing for an unknown key; null consumer is back-end.
  const nulls = await k.req('PUT', url, { qos_specs: { new: null, other: null, consumer: null } });
  assert.deepEqual(nulls.body, { qos_specs: { new: null, other: null, consumer: null } });
  assert.deepEqual((await show(k, q.id)).qos_specs, {
    id: q.id,
    name: 'q',
    consumer: 'back-end',
    specs: { total_iops_sec: '2000', new: null },
  });

  const setCases: [string, unknown, number, string][] = [
    [url, { qos_specs: { consumer: 'bad' } }, 400, BAD_CONSUMER],
    [
      url,
      { qos_specs: { 'a!b': '1' } },
      400,
      "Invalid input for field/attribute qos_specs. Value: {'a!b': '1'}. 'a!b' does not match any of the regexes: '^[a-zA-Z0-9-_:. /]{1,255}$'",
    ],
    [
      url,
      { qos_specs: { a: 1 } },
      400,
      "Invalid input for field/attribute a. Value: 1. 1 is not of type 'string', 'null'",
    ],
    [url, { x: {} }, 400, "'qos_specs' is a required property"],
    [`/v3/admin/qos-specs/${MISSING}`, { qos_specs: { a: '1' } }, 404, `No such QoS spec ${MISSING}.`],
  ];
  for (const [path, body, status, message] of setCases) {
    const r = await k.req('PUT', path, body);
    assert.equal(r.status, status, JSON.stringify(body));
    assert.equal(Object.values(r.body as Record<string, any>)[0].message, message);
  }

  await k.req('PUT', url, { qos_specs: { 'a b': '1' } });
  const del = await k.req('PUT', `${url}/delete_keys`, { keys: ['new'] });
  assert.equal(del.status, 202);
  assert.equal(del.text, '');
  const again = await k.req('PUT', `${url}/delete_keys`, { keys: ['new'] });
  assert.equal(again.status, 404);
  assert.equal(again.body.itemNotFound.message, `QoS spec ${q.id} has no spec with key new.`);
  // Keys before the first missing one are deleted, the ones after it are kept.
  const partial = await k.req('PUT', `${url}/delete_keys`, { keys: ['a b', 'zzz', 'total_iops_sec'] });
  assert.equal(partial.status, 404);
  assert.equal(partial.body.itemNotFound.message, `QoS spec ${q.id} has no spec with key zzz.`);
  assert.deepEqual((await show(k, q.id)).qos_specs.specs, { total_iops_sec: '2000' });
  const consumer = await k.req('PUT', `${url}/delete_keys`, { keys: ['consumer'] });
  assert.equal(consumer.status, 404, 'consumer is not a key that can be deleted');

  const keyCases: [unknown, string][] = [
    [
      { keys: ['x', 'x'] },
      "Invalid input for field/attribute keys. Value: ['x', 'x']. ['x', 'x'] has non-unique elements",
    ],
    [{ keys: [''] }, "Invalid input for field/attribute 0. Value: . '' is too short"],
  ];
  for (const [body, message] of keyCases) {
    const r = await k.req('PUT', `${url}/delete_keys`, body);
    assert.equal(r.status, 400);
    assert.equal(r.body.badRequest.message, message);
  }
  assert.equal((await k.req('PUT', `${url}/delete_keys`, { keys: [] })).status, 202);
  const gone = await k.req('PUT', `/v3/admin/qos-specs/${MISSING}/delete_keys`, { keys: ['a'] });
  assert.equal(gone.status, 404);
  assert.equal(gone.body.itemNotFound.message, `No such QoS spec ${MISSING}.`);
});

test('associate, associations, disassociate, disassociate_all, and delete with force', async (t) => {
  const k = await startForTest(t);
  const q1 = await createQos(k, { name: 'q1' });
  const q2 = await createQos(k, { name: 'q2' });
  const gold = await createType(k, 'gold');
  const silver = await createType(k, 'silver');
  const base = `/v3/admin/qos-specs/${q1.id}`;
  const qosOfType = async (id: string) =>
    (await k.req('GET', `/v3/types/${id}`)).body.volume_type.qos_specs_id;

  const noType = await k.req('GET', `${base}/associate`);
  assert.equal(noType.status, 400);
  assert.equal(noType.body.badRequest.message, 'Volume Type id must not be None.');

  assert.equal((await k.req('GET', `${base}/associate?vol_type_id=${gold.id}`)).status, 202);
  assert.equal(
    (await k.req('GET', `${base}/associate?vol_type_id=${gold.id}`)).status,
    202,
    'again: no change',
  );
  assert.equal((await k.req('GET', `${base}/associate?vol_type_id=${silver.id}`)).status, 202);
  assert.equal(await qosOfType(gold.id), q1.id);
  // What the create flow hands the scheduler for a volume of the type.
  assert.equal((await k.req('PUT', base, { qos_specs: { read_iops_sec: '100' } })).status, 200);
  assert.deepEqual(await volumeTypeQosSpecs(k.db, gold.id), { read_iops_sec: '100' });

  const other = await k.req('GET', `/v3/admin/qos-specs/${q2.id}/associate?vol_type_id=${gold.id}`);
  assert.equal(other.status, 400);
  assert.equal(
    other.body.badRequest.message,
    `Invalid volume type: Type ${gold.id} is already associated with another qos specs: ${q1.id}`,
  );
  const noSuchType = await k.req('GET', `${base}/associate?vol_type_id=${MISSING}`);
  assert.equal(noSuchType.status, 404);
  assert.equal(noSuchType.body.itemNotFound.message, `Volume type ${MISSING} could not be found.`);
  const noSuchSpec = await k.req('GET', `/v3/admin/qos-specs/${MISSING}/associate?vol_type_id=${gold.id}`);
  assert.equal(noSuchSpec.status, 404);
  assert.equal(noSuchSpec.body.itemNotFound.message, `No such QoS spec ${MISSING}.`);

  const assoc = await k.req('GET', `${base}/associations`);
  assert.equal(assoc.status, 200);
  assert.deepEqual(
    assoc.body.qos_associations.sort((a: any, b: any) => a.name.localeCompare(b.name)),
    [
      { association_type: 'volume_type', name: 'gold', id: gold.id },
      { association_type: 'volume_type', name: 'silver', id: silver.id },
    ],
  );

  const inUse = await k.req('DELETE', base);
  assert.equal(inUse.status, 400);
  assert.equal(inUse.body.badRequest.message, 'Qos specs still in use.');
  const badForce = await k.req('DELETE', `${base}?force=maybe`);
  assert.equal(badForce.status, 400);
  assert.equal(badForce.body.badRequest.message, "Value 'maybe' for 'force' is not a boolean.");

  // Disassociating from a spec the type does not have changes nothing.
  assert.equal(
    (await k.req('GET', `/v3/admin/qos-specs/${q2.id}/disassociate?vol_type_id=${gold.id}`)).status,
    202,
  );
  assert.equal(await qosOfType(gold.id), q1.id);
  assert.equal((await k.req('GET', `${base}/disassociate`)).status, 400);
  assert.equal((await k.req('GET', `${base}/disassociate?vol_type_id=${MISSING}`)).status, 404);
  assert.equal((await k.req('GET', `${base}/disassociate?vol_type_id=${gold.id}`)).status, 202);
  assert.equal(await qosOfType(gold.id), null);
  assert.deepEqual(await volumeTypeQosSpecs(k.db, gold.id), {});
  assert.deepEqual((await k.req('GET', `${base}/associations`)).body, {
    qos_associations: [{ association_type: 'volume_type', name: 'silver', id: silver.id }],
  });

  assert.equal((await k.req('GET', `${base}/disassociate_all`)).status, 202);
  assert.deepEqual((await k.req('GET', `${base}/associations`)).body, { qos_associations: [] });
  assert.equal((await k.req('GET', `/v3/admin/qos-specs/${MISSING}/disassociate_all`)).status, 404);

  assert.equal((await k.req('GET', `${base}/associate?vol_type_id=${silver.id}`)).status, 202);
  const forced = await k.req('DELETE', `${base}?force=true`);
  assert.equal(forced.status, 202);
  assert.equal(await qosOfType(silver.id), null);
  const gone = await k.req('GET', base);
  assert.equal(gone.status, 404);
  assert.equal((await k.req('DELETE', base)).status, 404);
  assert.equal((await k.req('GET', `${base}/associations`)).status, 404);

  // An unused spec is deleted without force; its name may then be used again.
  assert.equal((await k.req('DELETE', `/v3/admin/qos-specs/${q2.id}`)).status, 202);
  await createQos(k, { name: 'q2' });
  await k.notifications.waitForEvents([
    'qos_specs.associate',
    'qos_specs.disassociate_all',
    'qos_specs.delete',
  ]);
});

test('list: sorts, pages with limit and marker, filters on columns only, sort errors', async (t) => {
  const k = await startForTest(t);
  const made = [];
  for (const name of ['a', 'b', 'c']) made.push(await createQos(k, { name }));
  const list = await k.req('GET', '/v3/admin/qos-specs?sort=value:asc');
  assert.equal(list.status, 200);
  assert.deepEqual(
    list.body.qos_specs.map((s: any) => s.name),
    ['a', 'b', 'c'],
  );
  assert.equal(list.body.qos_specs_links, undefined);

  const first = await k.req('GET', '/v3/admin/qos-specs?sort=value:desc&limit=2');
  assert.deepEqual(
    first.body.qos_specs.map((s: any) => s.name),
    ['c', 'b'],
  );
  const next = new URL(first.body.qos_specs_links[0].href);
  assert.equal(next.searchParams.get('marker'), first.body.qos_specs[1].id);
  const second = await k.req('GET', `${next.pathname}${next.search}`);
  assert.deepEqual(
    second.body.qos_specs.map((s: any) => s.name),
    ['a'],
  );

  // Cinder filters the table's columns: `id` and `value` (the name's column) match, `name` does not.
  const byId = await k.req('GET', `/v3/admin/qos-specs?id=${made[1].id}`);
  assert.deepEqual(
    byId.body.qos_specs.map((s: any) => s.name),
    ['b'],
  );
  assert.deepEqual((await k.req('GET', '/v3/admin/qos-specs?value=c')).body.qos_specs.length, 1);
  assert.deepEqual((await k.req('GET', '/v3/admin/qos-specs?name=c')).body, { qos_specs: [] });

  const badSort = await k.req('GET', '/v3/admin/qos-specs?sort=name:asc');
  assert.equal(badSort.status, 400);
  assert.equal(badSort.body.badRequest.message, 'Invalid input received: Invalid sort key');
  const badMarker = await k.req('GET', `/v3/admin/qos-specs?marker=${MISSING}`);
  assert.equal(badMarker.status, 404);
  assert.equal(badMarker.body.itemNotFound.message, `No such QoS spec ${MISSING}.`);
  const badLimit = await k.req('GET', '/v3/admin/qos-specs?limit=x');
  assert.equal(badLimit.status, 400);
  assert.equal(badLimit.body.badRequest.message, 'limit param must be an integer');
});

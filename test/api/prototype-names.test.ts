/**
 * Names a user chooses — action names, sort keys, filter keys, metadata and spec keys — that are
 * also the names of members every JavaScript object inherits (`constructor`, `toString`,
 * `__proto__`, …) are ordinary names: an unknown action or sort key is Cinder's 400, an unknown
 * filter is ignored, a missing key is a 404, and metadata with such keys is kept like any other.
 * (A fuzz run found each of these answering 500, or `{}` with 200, or losing the key.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mv, startTestKindling, type TestKindling } from '../support/kindling.js';
import { availableSnapshot, availableVolume } from '../support/snapshots.js';
import { createType } from '../support/volume-types.js';

const NAMES = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__'] as const;

async function start(t: { after(fn: () => Promise<void>): void }): Promise<TestKindling> {
  const k = await startTestKindling();
  t.after(() => k.close());
  return k;
}

function noSuchAction(name: string) {
  return {
    badRequest: {
      code: 400,
      message: `There is no such action: ${name}. Verify the request body and Content-Type header and try again.`,
    },
  };
}

test('volume and group actions named like inherited members are no such action (400)', async (t) => {
  const k = await start(t);
  const v = await availableVolume(k);
  const gt = (await k.req('POST', '/v3/admin/group_types', { group_type: { name: 'gt' } }, mv('3.11'))).body
    .group_type.id;
  const type = await createType(k, 'tp');
  const g = await k.req(
    'POST',
    '/v3/admin/groups',
    { group: { name: 'g', group_type: gt, volume_types: [type.id] } },
    mv('3.13'),
  );
  assert.equal(g.status, 202, g.text);
  for (const name of NAMES) {
    // NOTE: raw text, so `__proto__` is a key of the body and not the prototype of the literal.
    const body = `{"${name}": {}}`;
    const va = await k.req('POST', `/v3/admin/volumes/${v.id}/action`, body, mv('3.70'));
    assert.deepEqual([va.status, va.body], [400, noSuchAction(name)], name);
    const ga = await k.req('POST', `/v3/admin/groups/${g.body.group.id}/action`, body, mv('3.70'));
    assert.deepEqual([ga.status, ga.body], [400, noSuchAction(name)], name);
  }
});

test('sort keys named like inherited members are invalid sort keys (400) on every list', async (t) => {
  const k = await start(t);
  await availableVolume(k);
  for (const name of NAMES) {
    const r = await k.req('GET', `/v3/admin/volumes/detail?sort=${name}`);
    assert.deepEqual(
      [r.status, r.body?.badRequest?.message],
      [400, `Invalid input received: Invalid sort key ${name}`],
    );
    for (const list of ['snapshots', 'backups', 'attachments', 'types', 'messages', 'groups']) {
      const l = await k.req('GET', `/v3/admin/${list}?sort_key=${name}`, undefined, mv('3.70'));
      assert.equal(l.status, 400, `${list} ${name}: ${l.text}`);
    }
  }
});

test('filter keys named like inherited members are ignored like any unknown filter', async (t) => {
  const k = await start(t);
  const v = await availableVolume(k);
  for (const name of NAMES) {
    for (const q of [`${name}=1`, `${name}~=1`]) {
      const r = await k.req('GET', `/v3/admin/volumes?${q}`, undefined, mv('3.70'));
      assert.equal(r.status, 200, `${q}: ${r.text}`);
      assert.deepEqual(
        r.body.volumes.map((x: { id: string }) => x.id),
        [v.id],
        q,
      );
    }
  }
});

test('metadata and spec keys named like inherited members: kept, shown, missing ones are 404s', async (t) => {
  const k = await start(t);
  const v = await availableVolume(k);
  const s = await availableSnapshot(k, v.id);
  const type = await createType(k, 'tp');
  const gt = (await k.req('POST', '/v3/admin/group_types', { group_type: { name: 'gt' } }, mv('3.11'))).body
    .group_type.id;

  // Missing keys: 404, not a 200 with the inherited member dropped from the JSON.
  for (const name of NAMES.filter((n) => n !== '__proto__')) {
    for (const url of [
      `/v3/admin/volumes/${v.id}/metadata/${name}`,
      `/v3/admin/snapshots/${s.id}/metadata/${name}`,
      `/v3/admin/types/${type.id}/extra_specs/${name}`,
      `/v3/admin/group_types/${gt}/group_specs/${name}`,
    ]) {
      const r = await k.req('GET', url, undefined, mv('3.11'));
      assert.equal(r.status, 404, `${url}: ${r.status} ${r.text}`);
    }
    const unset = await k.req('POST', `/v3/admin/volumes/${v.id}/action`, {
      'os-unset_image_metadata': { key: name },
    });
    assert.equal(unset.status, 404, `unset ${name}: ${unset.text}`);
  }

  // Such keys are stored like any other, replaced away, and deleted.
  const meta = { constructor: 'c', toString: 't', valueOf: 'v' };
  const set = await k.req('POST', `/v3/admin/volumes/${v.id}/metadata`, { metadata: meta });
  assert.deepEqual([set.status, set.body], [200, { metadata: meta }]);
  assert.deepEqual((await k.req('GET', `/v3/admin/volumes/${v.id}/metadata/toString`)).body, {
    meta: { toString: 't' },
  });
  const replaced = await k.req('PUT', `/v3/admin/volumes/${v.id}/metadata`, { metadata: { a: '1' } });
  assert.deepEqual(replaced.body, { metadata: { a: '1' } });
  assert.deepEqual((await k.req('GET', `/v3/admin/volumes/${v.id}/metadata`)).body, { metadata: { a: '1' } });
  const snapSet = await k.req('POST', `/v3/admin/snapshots/${s.id}/metadata`, { metadata: meta });
  assert.deepEqual(snapSet.body, { metadata: meta });
  assert.equal((await k.req('DELETE', `/v3/admin/snapshots/${s.id}/metadata/valueOf`)).status, 200);
  assert.equal((await k.req('DELETE', `/v3/admin/snapshots/${s.id}/metadata/valueOf`)).status, 404);

  const image = await k.req('POST', `/v3/admin/volumes/${v.id}/action`, {
    'os-set_image_metadata': { metadata: { constructor: 'x', toString: 'y' } },
  });
  assert.deepEqual([image.status, image.body], [200, { metadata: { constructor: 'x', toString: 'y' } }]);
  const shown = (await k.req('GET', `/v3/admin/volumes/${v.id}`)).body.volume.volume_image_metadata;
  assert.deepEqual(shown, { constructor: 'x', toString: 'y' });
  const unsetImage = await k.req('POST', `/v3/admin/volumes/${v.id}/action`, {
    'os-unset_image_metadata': { key: 'toString' },
  });
  assert.equal(unsetImage.status, 200, unsetImage.text);
  assert.deepEqual((await k.req('GET', `/v3/admin/volumes/${v.id}`)).body.volume.volume_image_metadata, {
    constructor: 'x',
  });

  const specs = await k.req('POST', `/v3/admin/types/${type.id}/extra_specs`, {
    extra_specs: { toString: 'a' },
  });
  assert.equal(specs.status, 200, specs.text);
  assert.deepEqual((await k.req('GET', `/v3/admin/types/${type.id}/extra_specs/toString`)).body, {
    toString: 'a',
  });
});

test('a key named __proto__ is stored and shown like any other key', async (t) => {
  const k = await start(t);
  // NOTE: raw JSON text: in a JavaScript literal `__proto__` would be the prototype, not a key.
  const created = await k.req(
    'POST',
    '/v3/admin/volumes',
    '{"volume": {"size": 1, "metadata": {"__proto__": "p"}}}',
  );
  assert.equal(created.status, 202, created.text);
  const id = created.body.volume.id;
  const shown = await k.req('GET', `/v3/admin/volumes/${id}/metadata`);
  assert.equal(shown.text, '{"metadata":{"__proto__":"p"}}');
  await k.req('POST', `/v3/admin/volumes/${id}/metadata`, '{"metadata": {"a": "1"}}');
  assert.equal(
    (await k.req('GET', `/v3/admin/volumes/${id}/metadata`)).text,
    '{"metadata":{"__proto__":"p","a":"1"}}',
  );

  const type = await k.req(
    'POST',
    '/v3/admin/types',
    '{"volume_type": {"name": "t", "extra_specs": {"__proto__": "x"}}}',
  );
  assert.equal(type.status, 200, type.text);
  assert.equal(
    (await k.req('GET', `/v3/admin/types/${type.body.volume_type.id}/extra_specs`)).text,
    '{"extra_specs":{"__proto__":"x"}}',
  );
});

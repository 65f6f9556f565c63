/**
 * `/messages` (3.3+): the user message a failed scheduling leaves, how it is listed, filtered,
 * paged, shown and deleted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mv, waitFor, waitForVolumeStatus, type TestKindling } from '../support/kindling.js';
import { startForTest } from '../support/start-for-test.js';

const V = mv('3.5');

/** Creates a volume no backend can take and waits for it to be `error` with its message; returns its id. */
async function failedVolume(k: TestKindling): Promise<string> {
  const type = await k.req('POST', '/v3/types', {
    volume_type: { name: `nowhere-${Math.random()}`, extra_specs: { volume_backend_name: 'nope' } },
  });
  assert.equal(type.status, 200, type.text);
  const vol = await k.req('POST', '/v3/volumes', {
    volume: { size: 1, volume_type: type.body.volume_type.name },
  });
  assert.equal(vol.status, 202, vol.text);
  const v = await waitForVolumeStatus(k, vol.body.volume.id, ['error', 'available']);
  assert.equal(v.status, 'error');
  // NOTE: the scheduler sets `error` first and writes the message right after.
  await waitFor(
    async () =>
      (await k.req('GET', `/v3/messages?resource_uuid=${v.id}`, undefined, V)).body.messages.length === 1,
  );
  return v.id;
}

test('below 3.3 there is no /messages; at 3.3 the list starts empty', async (t) => {
  const k = await startForTest(t);
  const old = await k.req('GET', '/v3/messages');
  assert.equal(old.status, 404);
  assert.deepEqual(old.body, { itemNotFound: { code: 404, message: 'The resource could not be found.' } });
  assert.equal((await k.req('GET', '/v3/messages/x', undefined, mv('3.2'))).status, 404);
  const empty = await k.req('GET', '/v3/messages', undefined, mv('3.3'));
  assert.equal(empty.status, 200);
  assert.deepEqual(empty.body, { messages: [] });
});

test('a volume no backend satisfies leaves a scheduling-failure message', async (t) => {
  const k = await startForTest(t);
  const volumeId = await failedVolume(k);
  const list = await k.req('GET', '/v3/messages', undefined, mv('3.3'));
  assert.equal(list.status, 200);
  assert.equal(list.body.messages.length, 1);
  const m = list.body.messages[0];
  assert.equal(m.event_id, 'VOLUME_VOLUME_001_003');
  // Cinder's text, then Kindling's reasons (the NoValidBackend message and Cinder's filter results).
  assert.ok(
    m.user_message.startsWith(
      'schedule allocate volume:Could not find any available weighted backend. No valid backend was found. No weighed backends available. Filter results: ',
    ),
    m.user_message,
  );
  assert.equal(m.message_level, 'ERROR');
  assert.equal(m.resource_type, 'VOLUME');
  assert.equal(m.resource_uuid, volumeId);
  assert.match(m.request_id, /^req-[0-9a-f-]{36}$/);
  assert.match(m.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
  // guaranteed_until = created + message_ttl (30 days).
  const ttl = Date.parse(`${m.guaranteed_until}Z`) - Date.parse(`${m.created_at}Z`);
  assert.ok(Math.abs(ttl - 2592000_000) < 5000, `ttl ${ttl}`);
  assert.deepEqual(m.links, [
    { rel: 'self', href: `http://localhost:80/v3/messages/${m.id}` },
    { rel: 'bookmark', href: `http://localhost:80/messages/${m.id}` },
  ]);

  const shown = await k.req('GET', `/v3/admin/messages/${m.id}`, undefined, mv('3.3'));
  assert.equal(shown.status, 200);
  assert.deepEqual(shown.body.message, {
    ...m,
    links: [
      { rel: 'self', href: `http://localhost:80/v3/admin/messages/${m.id}` },
      { rel: 'bookmark', href: `http://localhost:80/admin/messages/${m.id}` },
    ],
  });
});

test('filters (3.5+), paging, and delete', async (t) => {
  const k = await startForTest(t);
  const first = await failedVolume(k);
  const second = await failedVolume(k);

  const byVolume = await k.req('GET', `/v3/messages?resource_uuid=${second}`, undefined, V);
  assert.deepEqual(
    byVolume.body.messages.map((m: any) => m.resource_uuid),
    [second],
  );
  assert.equal(
    (await k.req('GET', '/v3/messages?event_id=VOLUME_VOLUME_001_003', undefined, V)).body.messages.length,
    2,
  );
  assert.equal((await k.req('GET', '/v3/messages?message_level=INFO', undefined, V)).body.messages.length, 0);
  assert.equal(
    (await k.req('GET', '/v3/messages?resource_type~=VOL', undefined, mv('3.34'))).body.messages.length,
    2,
  );
  // A key that is no attribute of a message matches nothing, as in Cinder.
  assert.equal((await k.req('GET', '/v3/messages?colour=red', undefined, V)).body.messages.length, 0);
  // Below 3.5 filters are not applied at all.
  assert.equal(
    (await k.req('GET', `/v3/messages?resource_uuid=${second}`, undefined, mv('3.4'))).body.messages.length,
    2,
  );

  const page1 = await k.req('GET', '/v3/messages?limit=1&sort=resource_uuid:asc', undefined, V);
  const expectedOrder = [first, second].sort();
  assert.deepEqual(
    page1.body.messages.map((m: any) => m.resource_uuid),
    [expectedOrder[0]],
  );
  const next = new URL(page1.body.messages_links[0].href);
  assert.equal(next.searchParams.get('marker'), page1.body.messages[0].id);
  const page2 = await k.req('GET', `${next.pathname}${next.search}`, undefined, V);
  assert.deepEqual(
    page2.body.messages.map((m: any) => m.resource_uuid),
    [expectedOrder[1]],
  );

  const badMarker = await k.req(
    'GET',
    '/v3/messages?marker=11111111-2222-4333-8444-555555555555',
    undefined,
    V,
  );
  assert.equal(badMarker.status, 404);
  assert.equal(
    badMarker.body.itemNotFound.message,
    'Message 11111111-2222-4333-8444-555555555555 could not be found.',
  );

  const id = byVolume.body.messages[0].id;
  const del = await k.req('DELETE', `/v3/messages/${id}`, undefined, V);
  assert.equal(del.status, 204);
  assert.equal(del.text, '');
  const gone = await k.req('GET', `/v3/messages/${id}`, undefined, V);
  assert.equal(gone.status, 404);
  assert.deepEqual(gone.body, { itemNotFound: { code: 404, message: `Message ${id} could not be found.` } });
  assert.equal((await k.req('DELETE', `/v3/messages/${id}`, undefined, V)).status, 404);
  assert.deepEqual(
    (await k.req('GET', '/v3/messages', undefined, V)).body.messages.map((m: any) => m.resource_uuid),
    [first],
  );
});

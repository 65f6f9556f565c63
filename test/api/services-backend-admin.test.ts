/**
 * `PUT /os-services/freeze|thaw|failover_host|failover|set-log|get-log`: what an admin does to a
 * whole backend or to the services' log levels, with Cinder's answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mv, waitForVolumeStatus, type TestKindling } from '../support/kindling.js';
import { startForTest } from '../support/start-for-test.js';

/** The services' host name, which the requests below name. */
const HOST_ENV = { KINDLING__DEFAULT__host: 'testhost' };

async function frozenOf(k: TestKindling, host: string): Promise<boolean> {
  const r = await k.req('GET', `/v3/os-services?binary=cinder-volume&host=${host}`);
  return r.body.services[0].frozen;
}

test('freeze stops new volumes and deletes on the backend; thaw lifts it', async (t) => {
  const k = await startForTest(t, HOST_ENV);
  const made = await k.req('POST', '/v3/volumes', { volume: { size: 1 } });
  await waitForVolumeStatus(k, made.body.volume.id, ['available']);

  const frozen = await k.req('PUT', '/v3/os-services/freeze', { host: 'testhost@file' });
  assert.equal(frozen.status, 200);
  assert.equal(frozen.text, '');
  assert.equal(await frozenOf(k, 'testhost@file'), true);

  const again = await k.req('PUT', '/v3/os-services/freeze', { host: 'testhost@file' });
  assert.equal(again.status, 400);
  assert.equal(
    again.body.badRequest.message,
    "Invalid input received: No service could be changed: frozen in ['testhost@file'] must be False to failover.",
  );

  const del = await k.req('DELETE', `/v3/volumes/${made.body.volume.id}`);
  assert.equal(del.status, 400);
  assert.equal(
    del.body.badRequest.message,
    'Invalid input received: Modification operations are not allowed on frozen storage backends.',
  );
  assert.equal((await k.req('GET', `/v3/volumes/${made.body.volume.id}`)).body.volume.status, 'available');

  // The scheduler skips a frozen backend (once its one-second view of the services has passed): a
  // new volume has nowhere to go.
  await new Promise((r) => setTimeout(r, 1100));
  const blocked = await k.req('POST', '/v3/volumes', { volume: { size: 1 } });
  assert.equal(blocked.status, 202);
  await waitForVolumeStatus(k, blocked.body.volume.id, ['error'], 20_000);

  const thawed = await k.req('PUT', '/v3/os-services/thaw', { host: 'testhost@file' });
  assert.equal(thawed.status, 200);
  assert.equal(await frozenOf(k, 'testhost@file'), false);
  const thawAgain = await k.req('PUT', '/v3/os-services/thaw', { host: 'testhost@file' });
  assert.equal(
    thawAgain.body.badRequest.message,
    "Invalid input received: No service could be changed: frozen in ['testhost@file'] must be True to failover.",
  );
  assert.equal((await k.req('DELETE', `/v3/volumes/${made.body.volume.id}`)).status, 202);
  await waitForVolumeStatus(k, made.body.volume.id, ['deleted', 'error_deleting'], 20_000).catch(() => null);
});

test('freeze, thaw and failover check host/cluster as Cinder does', async (t) => {
  const k = await startForTest(t, HOST_ENV);
  const cases: [string, unknown, Record<string, string>, number, string][] = [
    ['freeze', { host: 'nope' }, {}, 400, 'No service found with host=nope'],
    ['freeze', {}, {}, 400, 'Invalid input received: Host field is missing.'],
    [
      'freeze',
      {},
      mv('3.26'),
      400,
      'Invalid input received: One and only one of cluster and host must be set.',
    ],
    [
      'freeze',
      { host: 'testhost@file', cluster: 'c' },
      mv('3.26'),
      400,
      'Invalid input received: One and only one of cluster and host must be set.',
    ],
    ['thaw', { cluster: 'nope' }, mv('3.26'), 400, 'No service found with cluster=nope'],
    [
      'failover_host',
      { host: 'testhost@file' },
      {},
      400,
      "Invalid input received: No service could be changed: replication_status in ['testhost@file'] must be ['enabled', 'failed-over'] and must be up to failover.",
    ],
    [
      'failover',
      { host: 'testhost@file', backend_id: 'x' },
      mv('3.26'),
      400,
      "Invalid input received: No service could be changed: replication_status in ['testhost@file'] must be ['enabled', 'failed-over'] and must be up to failover.",
    ],
    ['failover', { host: 'testhost@file' }, mv('3.25'), 400, 'Invalid input received: Unknown action'],
    ['failover_host', { host: 'nope' }, {}, 400, 'No service found with host=nope'],
  ];
  for (const [action, body, headers, code, message] of cases) {
    const r = await k.req('PUT', `/v3/os-services/${action}`, body, headers);
    assert.equal(r.status, code, `${action} ${JSON.stringify(body)}`);
    assert.equal(r.body.badRequest.message, message, `${action} ${JSON.stringify(body)}`);
  }
  const extra = await k.req('PUT', '/v3/os-services/freeze', { host: 'testhost@file', bogus: 1 });
  assert.equal(extra.status, 400);
  assert.match(
    extra.body.badRequest.message,
    /Additional properties are not allowed \('bogus' was unexpected\)/,
  );
  assert.equal(await frozenOf(k, 'testhost@file'), false, 'nothing was frozen by the refused calls');
});

test('get-log and set-log read and change the services’ log levels (3.32+)', async (t) => {
  const k = await startForTest(t, HOST_ENV);
  const before = await k.req('PUT', '/v3/os-services/get-log', {}, mv('3.32'));
  assert.equal(before.status, 200);
  const rows = before.body.log_levels as { host: string; binary: string; levels: Record<string, string> }[];
  assert.deepEqual(
    rows.map((r) => [r.host, r.binary]),
    [
      ['testhost', 'cinder-api'],
      ['testhost', 'cinder-scheduler'],
      ['testhost@file', 'cinder-volume'],
      ['testhost', 'cinder-backup'],
    ],
  );
  const initial = rows[0]!.levels.kindling;
  assert.ok(['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'].includes(initial!), String(initial));

  const set = await k.req(
    'PUT',
    '/v3/os-services/set-log',
    { binary: 'cinder-volume', prefix: 'kind', level: 'warning' },
    mv('3.32'),
  );
  assert.equal(set.status, 202);
  const vol = await k.req(
    'PUT',
    '/v3/os-services/get-log',
    { server: 'testhost@file', prefix: 'kindling' },
    mv('3.32'),
  );
  assert.deepEqual(vol.body.log_levels, [
    { host: 'testhost@file', binary: 'cinder-volume', levels: { kindling: 'WARNING' } },
  ]);
  const none = await k.req(
    'PUT',
    '/v3/os-services/get-log',
    { binary: 'cinder-api', prefix: 'cinder.' },
    mv('3.32'),
  );
  assert.deepEqual(none.body.log_levels, [{ host: 'testhost', binary: 'cinder-api', levels: {} }]);

  const bad = await k.req('PUT', '/v3/os-services/set-log', { level: 'bogus' }, mv('3.32'));
  assert.equal(bad.body.badRequest.message, 'Invalid input received: bogus is not a valid log level.');
  const missing = await k.req('PUT', '/v3/os-services/set-log', {}, mv('3.32'));
  assert.equal(missing.body.badRequest.message, 'Invalid input received:  is not a valid log level.');
  const badBinary = await k.req('PUT', '/v3/os-services/get-log', { binary: 'foo' }, mv('3.32'));
  assert.equal(
    badBinary.body.badRequest.message,
    "Invalid input for field/attribute binary. Value: foo. 'foo' is not one of ['cinder-scheduler', 'cinder-volume', 'cinder-backup', 'cinder-api', '', '*']",
  );
  const old = await k.req('PUT', '/v3/os-services/get-log', {}, mv('3.31'));
  assert.equal(old.body.badRequest.message, 'Invalid input received: Unknown action');
});

/**
 * `/os-services`, `/os-availability-zone` and `/scheduler-stats/get_pools`: what an admin sees of
 * the running services, their zones and the scheduler's pools.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mv, startTestKindling, type TestKindling } from '../support/kindling.js';

async function start(
  t: { after(fn: () => Promise<void>): void },
  env: Record<string, string> = {},
): Promise<TestKindling> {
  const k = await startTestKindling({ KINDLING__DEFAULT__host: 'testhost', ...env });
  t.after(() => k.close());
  return k;
}

test('the service list shows the scheduler and the volume service, per microversion', async (t) => {
  const k = await start(t);
  const r = await k.req('GET', '/v3/os-services');
  assert.equal(r.status, 200);
  // Services register concurrently in distributed mode: find each by binary, not by position.
  const byName = (list: any[], binary: string) => list.find((s: any) => s.binary === binary);
  const sched = byName(r.body.services, 'cinder-scheduler');
  const vol = byName(r.body.services, 'cinder-volume');
  assert.deepEqual(
    { ...sched, updated_at: undefined },
    {
      binary: 'cinder-scheduler',
      host: 'testhost',
      zone: 'nova',
      status: 'enabled',
      state: 'up',
      updated_at: undefined,
      disabled_reason: null,
    },
  );
  assert.deepEqual(
    { ...vol, updated_at: undefined },
    {
      binary: 'cinder-volume',
      host: 'testhost@file',
      zone: 'nova',
      status: 'enabled',
      state: 'up',
      updated_at: undefined,
      disabled_reason: null,
      replication_status: 'not-capable',
      active_backend_id: null,
      frozen: false,
    },
  );

  const v37 = (await k.req('GET', '/v3/os-services', undefined, mv('3.7'))).body.services;
  assert.equal(byName(v37, 'cinder-volume').cluster, null);
  assert.equal('backend_state' in byName(v37, 'cinder-volume'), false);
  const v349 = (await k.req('GET', '/v3/os-services', undefined, mv('3.49'))).body.services;
  assert.equal(byName(v349, 'cinder-volume').backend_state, 'up');
  assert.equal('backend_state' in byName(v349, 'cinder-scheduler'), false);

  const byBinary = await k.req('GET', '/v3/os-services?binary=cinder-volume');
  assert.deepEqual(
    byBinary.body.services.map((s: any) => s.host),
    ['testhost@file'],
  );
  // A bare host name also matches its backends (`host@backend`), as Cinder's host filter does.
  const byHost = await k.req('GET', '/v3/os-services?host=testhost');
  assert.deepEqual(byHost.body.services.map((s: any) => s.binary).sort(), [
    'cinder-backup',
    'cinder-scheduler',
    'cinder-volume',
  ]);
  assert.deepEqual(
    (await k.req('GET', '/v3/os-services?host=testhost@file')).body.services.map((s: any) => s.binary),
    ['cinder-volume'],
  );
  assert.deepEqual((await k.req('GET', '/v3/os-services?host=other')).body.services, []);
});

test('disable with a reason, then enable; the zone follows the volume service', async (t) => {
  const k = await start(t);
  assert.deepEqual((await k.req('GET', '/v3/os-availability-zone')).body, {
    availabilityZoneInfo: [{ zoneName: 'nova', zoneState: { available: true } }],
  });

  const off = await k.req('PUT', '/v3/os-services/disable-log-reason', {
    host: 'testhost@file',
    binary: 'cinder-volume',
    disabled_reason: 'maintenance',
  });
  assert.equal(off.status, 200);
  assert.deepEqual(off.body, {
    disabled_reason: 'maintenance',
    disabled: true,
    host: 'testhost@file',
    service: '',
    binary: 'cinder-volume',
    status: 'disabled',
  });
  const listed = (await k.req('GET', '/v3/os-services?binary=cinder-volume')).body.services[0];
  assert.equal(listed.status, 'disabled');
  assert.equal(listed.disabled_reason, 'maintenance');
  assert.deepEqual((await k.req('GET', '/v3/os-availability-zone')).body, {
    availabilityZoneInfo: [{ zoneName: 'nova', zoneState: { available: false } }],
  });

  const on = await k.req('PUT', '/v3/os-services/enable', {
    host: 'testhost@file',
    service: 'cinder-volume',
  });
  assert.equal(on.status, 200);
  assert.deepEqual(on.body, {
    disabled: false,
    host: 'testhost@file',
    service: 'cinder-volume',
    binary: '',
    status: 'enabled',
  });
  // As Cinder Zed's os-services: enable sets `disabled` only and leaves `disabled_reason` as it
  // was (only disable-log-reason writes it); checked against cinder/api/contrib/services.py 21.3.1
  // run on a real database. (Nova's os-services clears it; Cinder's does not.)
  const enabled = (await k.req('GET', '/v3/os-services?binary=cinder-volume')).body.services[0];
  assert.equal(enabled.status, 'enabled');
  assert.equal(enabled.disabled_reason, 'maintenance');
  // A plain disable keeps it too; a new disable-log-reason replaces it.
  await k.req('PUT', '/v3/os-services/disable', { host: 'testhost@file', binary: 'cinder-volume' });
  assert.equal(
    (await k.req('GET', '/v3/os-services?binary=cinder-volume')).body.services[0].disabled_reason,
    'maintenance',
  );
  await k.req('PUT', '/v3/os-services/disable-log-reason', {
    host: 'testhost@file',
    binary: 'cinder-volume',
    disabled_reason: 'disk swap',
  });
  await k.req('PUT', '/v3/os-services/enable', { host: 'testhost@file', binary: 'cinder-volume' });
  const again = (await k.req('GET', '/v3/os-services?binary=cinder-volume')).body.services[0];
  assert.deepEqual([again.status, again.disabled_reason], ['enabled', 'disk swap']);

  const sched = await k.req('PUT', '/v3/os-services/disable', {
    host: 'testhost',
    binary: 'cinder-scheduler',
  });
  assert.deepEqual(sched.body, {
    disabled: true,
    host: 'testhost',
    service: '',
    binary: 'cinder-scheduler',
    status: 'disabled',
  });
});

test('service updates: missing host, unknown service, unknown action, bad bodies', async (t) => {
  const k = await start(t);
  const noHost = await k.req('PUT', '/v3/os-services/disable', { binary: 'cinder-volume' });
  assert.equal(noHost.status, 400);
  assert.deepEqual(noHost.body, {
    badRequest: { code: 400, message: 'Invalid input received: Host field is missing.' },
  });

  const unknown = await k.req('PUT', '/v3/os-services/disable', {
    host: 'elsewhere',
    binary: 'cinder-volume',
  });
  assert.equal(unknown.status, 404);
  assert.deepEqual(unknown.body, {
    itemNotFound: { code: 404, message: 'Service cinder-volume could not be found on host elsewhere.' },
  });

  const action = await k.req('PUT', '/v3/os-services/reboot', { host: 'testhost' });
  assert.equal(action.status, 400);
  assert.deepEqual(action.body, {
    badRequest: { code: 400, message: 'Invalid input received: Unknown action' },
  });

  const noBinary = await k.req('PUT', '/v3/os-services/enable', { host: 'testhost' });
  assert.equal(noBinary.status, 400);

  const extra = await k.req('PUT', '/v3/os-services/enable', {
    host: 'testhost',
    binary: 'cinder-volume',
    colour: 'red',
  });
  assert.equal(extra.status, 400);
  assert.match(
    extra.body.badRequest.message,
    /Additional properties are not allowed \('colour' was unexpected\)/,
  );

  const blankReason = await k.req('PUT', '/v3/os-services/disable-log-reason', {
    host: 'testhost@file',
    binary: 'cinder-volume',
    disabled_reason: '   ',
  });
  assert.equal(blankReason.status, 400);
  assert.equal(
    blankReason.body.badRequest.message,
    "Invalid input for field/attribute disabled_reason. Value:    . '   ' is not a 'disabled_reason'",
  );
  assert.equal(
    (await k.req('GET', '/v3/os-services?binary=cinder-volume')).body.services[0].status,
    'enabled',
  );
});

test('get_pools: names, detail, filters by name (3.28+) and volume type (3.35+)', async (t) => {
  const k = await start(t);
  const pools = await k.req('GET', '/v3/scheduler-stats/get_pools');
  assert.equal(pools.status, 200);
  assert.deepEqual(pools.body, { pools: [{ name: 'testhost@file#file' }] });

  const detail = await k.req('GET', '/v3/scheduler-stats/get_pools?detail=true');
  const caps = detail.body.pools[0].capabilities;
  assert.equal(detail.body.pools[0].name, 'testhost@file#file');
  assert.equal(caps.volume_backend_name, 'file');
  assert.equal(caps.pool_name, 'file');
  assert.equal(typeof caps.total_capacity_gb, 'number');

  const badDetail = await k.req('GET', '/v3/scheduler-stats/get_pools?detail=maybe');
  assert.equal(badDetail.status, 400);
  assert.deepEqual(badDetail.body, {
    badRequest: { code: 400, message: "Value 'maybe' for 'detail' is not a boolean." },
  });

  // Filters are ignored before 3.28 and applied from it.
  assert.equal(
    (await k.req('GET', '/v3/scheduler-stats/get_pools?name=nope', undefined, mv('3.27'))).body.pools.length,
    1,
  );
  assert.deepEqual(
    (await k.req('GET', '/v3/scheduler-stats/get_pools?name=nope', undefined, mv('3.28'))).body,
    { pools: [] },
  );
  assert.equal(
    (await k.req('GET', '/v3/scheduler-stats/get_pools?name=testhost@file%23file', undefined, mv('3.28')))
      .body.pools.length,
    1,
  );

  const invalid = await k.req('GET', '/v3/scheduler-stats/get_pools?colour=red', undefined, mv('3.31'));
  assert.equal(invalid.status, 400);
  assert.deepEqual(invalid.body, {
    badRequest: { code: 400, message: 'Invalid filters colour are found in query options.' },
  });

  await k.req('POST', '/v3/types', {
    volume_type: { name: 'nowhere', extra_specs: { volume_backend_name: 'nope' } },
  });
  await k.req('POST', '/v3/types', {
    volume_type: { name: 'filetype', extra_specs: { volume_backend_name: 'file' } },
  });
  assert.deepEqual(
    (await k.req('GET', '/v3/scheduler-stats/get_pools?volume_type=nowhere', undefined, mv('3.35'))).body,
    { pools: [] },
  );
  assert.equal(
    (await k.req('GET', '/v3/scheduler-stats/get_pools?volume_type=filetype', undefined, mv('3.35'))).body
      .pools.length,
    1,
  );
  // Before 3.35 the type filter is dropped.
  assert.equal(
    (await k.req('GET', '/v3/scheduler-stats/get_pools?volume_type=nowhere', undefined, mv('3.34'))).body
      .pools.length,
    1,
  );
  const noType = await k.req(
    'GET',
    '/v3/scheduler-stats/get_pools?volume_type=nosuch',
    undefined,
    mv('3.35'),
  );
  assert.equal(noType.status, 404);
  assert.deepEqual(noType.body, {
    itemNotFound: { code: 404, message: 'Volume type with name nosuch could not be found.' },
  });
});

/**
 * `/os-hosts`, `/capabilities/{host}` and `/extensions`: the admin views of hosts and backends and
 * the extension list, as Cinder answers them (Tempest's `test_volume_hosts`,
 * `test_backends_capabilities` and `test_extensions`); and no route takes a trailing slash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestKindling, waitForVolumeStatus, type TestKindling } from '../support/kindling.js';

const TWO_BACKENDS = {
  KINDLING__DEFAULT__host: 'testhost',
  KINDLING__DEFAULT__enabled_backends: 'alpha,beta',
  KINDLING__alpha__volume_driver: 'file',
  KINDLING__beta__volume_driver: 'file',
};

async function start(t: { after(fn: () => Promise<void>): void }): Promise<TestKindling> {
  const k = await startTestKindling(TWO_BACKENDS);
  t.after(() => k.close());
  return k;
}

async function volumeOn(k: TestKindling, project: string, backend: string, size: number): Promise<string> {
  const type = `on-${backend}`;
  await k.req('POST', '/v3/admin/types', {
    volume_type: { name: type, extra_specs: { volume_backend_name: backend } },
  });
  const r = await k.req(
    'POST',
    `/v3/${project}/volumes`,
    { volume: { size, volume_type: type } },
    { 'x-auth-token': `admin:${project}` },
  );
  assert.equal(r.status, 202, r.text);
  await waitForVolumeStatus(k, r.body.volume.id, ['available']);
  return r.body.volume.id;
}

test('os-hosts lists every enabled service as a host; a disabled one is left out', async (t) => {
  const k = await start(t);
  const r = await k.req('GET', '/v3/admin/os-hosts');
  assert.equal(r.status, 200);
  const byName = Object.fromEntries(r.body.hosts.map((h: any) => [`${h.service} ${h.host_name}`, h]));
  for (const key of [
    'cinder-scheduler testhost',
    'cinder-volume testhost@alpha',
    'cinder-volume testhost@beta',
  ]) {
    const h = byName[key];
    assert.ok(h, `${key} in ${r.text}`);
    assert.deepEqual(Object.keys(h).sort(), [
      'host_name',
      'last-update',
      'service',
      'service-state',
      'service-status',
      'zone',
    ]);
    assert.equal(h.zone, 'nova');
    assert.equal(h['service-status'], 'available');
    assert.equal(h['service-state'], 'enabled');
    assert.match(h['last-update'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
  }
  assert.deepEqual((await k.req('GET', '/v3/admin/os-hosts?zone=elsewhere')).body, { hosts: [] });

  await k.req('PUT', '/v3/admin/os-services/disable', { host: 'testhost@beta', binary: 'cinder-volume' });
  const after = (await k.req('GET', '/v3/admin/os-hosts')).body.hosts.map((h: any) => h.host_name);
  assert.ok(after.includes('testhost@alpha'));
  assert.ok(!after.includes('testhost@beta'));
});

test('os-hosts/{host}: volumes and snapshots on it, in total and per project', async (t) => {
  const k = await start(t);
  await volumeOn(k, 'admin', 'alpha', 1);
  const demoVol = await volumeOn(k, 'demo', 'alpha', 2);
  await volumeOn(k, 'demo', 'beta', 3);
  const snap = await k.req(
    'POST',
    '/v3/demo/snapshots',
    { snapshot: { volume_id: demoVol } },
    { 'x-auth-token': 'admin:demo' },
  );
  assert.equal(snap.status, 202, snap.text);

  const r = await k.req('GET', '/v3/admin/os-hosts/testhost@alpha');
  assert.equal(r.status, 200, r.text);
  const row = (project: string, volumes: number, gb: number, snapshots: number, snapGb: number) => ({
    resource: {
      host: 'testhost@alpha',
      project,
      volume_count: String(volumes),
      total_volume_gb: String(gb),
      snapshot_count: String(snapshots),
      total_snapshot_gb: String(snapGb),
    },
  });
  assert.deepEqual(r.body.host[0], row('(total)', 2, 3, 1, 2));
  assert.deepEqual(
    r.body.host.slice(1).sort((a: any, b: any) => a.resource.project.localeCompare(b.resource.project)),
    [row('admin', 1, 1, 0, 0), row('demo', 1, 2, 1, 2)],
  );
  // A bare host name takes in all its backends.
  const all = await k.req('GET', '/v3/admin/os-hosts/testhost');
  assert.equal(all.body.host[0].resource.volume_count, '3');
  assert.equal(all.body.host[0].resource.total_volume_gb, '6');

  const missing = await k.req('GET', '/v3/admin/os-hosts/nope');
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.body, {
    itemNotFound: { code: 404, message: 'Service cinder-volume could not be found on host nope.' },
  });
});

test('capabilities/{host}: what the backend reports, asked of its volume service', async (t) => {
  const k = await start(t);
  const r = await k.req('GET', '/v3/admin/capabilities/testhost@beta');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body, {
    namespace: 'OS::Storage::Capabilities::testhost@beta',
    vendor_name: 'Kindling',
    volume_backend_name: 'beta',
    pool_name: null,
    driver_version: '1.0.0',
    storage_protocol: 'iSCSI',
    display_name: null,
    description: null,
    visibility: null,
    replication_targets: [],
    properties: {
      thin_provisioning: {
        title: 'Thin Provisioning',
        description: 'Sets thin provisioning.',
        type: 'boolean',
      },
      compression: { title: 'Compression', description: 'Enables compression.', type: 'boolean' },
      qos: { title: 'QoS', description: 'Enables QoS.', type: 'boolean' },
      replication_enabled: { title: 'Replication', description: 'Enables replication.', type: 'boolean' },
    },
  });
  // The pools' view of the same backend agrees (Tempest compares the two).
  const pools = (await k.req('GET', '/v3/admin/scheduler-stats/get_pools?detail=true')).body.pools;
  const beta = pools.find((p: any) => p.name.startsWith('testhost@beta#')).capabilities;
  assert.deepEqual(
    [beta.vendor_name, beta.volume_backend_name, beta.storage_protocol],
    [r.body.vendor_name, r.body.volume_backend_name, r.body.storage_protocol],
  );

  const missing = await k.req('GET', '/v3/admin/capabilities/testhost@gamma');
  assert.deepEqual(missing.body, {
    itemNotFound: { code: 404, message: "Can't find service: testhost@gamma" },
  });
  // A bare host name finds its backends' services, as Cinder's host filter; another host none.
  assert.equal((await k.req('GET', '/v3/admin/capabilities/testhost')).status, 200);
  assert.equal((await k.req('GET', '/v3/admin/capabilities/otherhost')).status, 404);
});

test('extensions: those served, with Cinder names and aliases; one by alias', async (t) => {
  const k = await start(t);
  const r = await k.req('GET', '/v3/admin/extensions');
  assert.equal(r.status, 200);
  const aliases = r.body.extensions.map((e: any) => e.alias);
  for (const served of [
    'os-hosts',
    'capabilities',
    'backups',
    'qos-specs',
    'os-volume-transfer',
    'os-services',
    'os-volume-manage',
    'os-snapshot-manage',
    'os-volume-unmanage',
    'os-snapshot-unmanage',
    'consistencygroups',
    'cgsnapshots',
  ])
    assert.ok(aliases.includes(served), served);
  for (const e of r.body.extensions) {
    assert.deepEqual(Object.keys(e).sort(), ['alias', 'description', 'links', 'name', 'updated']);
    assert.ok(!Number.isNaN(Date.parse(e.updated)), e.updated);
  }
  const hosts = await k.req('GET', '/v3/admin/extensions/os-hosts');
  assert.deepEqual(hosts.body, {
    extension: {
      name: 'Hosts',
      alias: 'os-hosts',
      description: 'Admin-only host administration.',
      updated: '2011-06-29T00:00:00+00:00',
      links: [],
    },
  });
  assert.deepEqual((await k.req('GET', '/v3/admin/extensions/consistencygroups')).body, {
    extension: {
      name: 'Consistencygroups',
      alias: 'consistencygroups',
      description: 'consistency groups support.',
      updated: '2014-08-18T00:00:00+00:00',
      links: [],
    },
  });
  assert.equal((await k.req('GET', '/v3/admin/extensions/nope')).status, 404);
  assert.equal(
    (await k.req('GET', '/v3/admin/extensions/os-volume-manage')).body.extension.name,
    'VolumeManage',
  );
});

test('a trailing slash is a 404, as in Cinder, not the resource without it', async (t) => {
  const k = await start(t);
  for (const path of [
    '/v3/admin/volumes/',
    '/v3/admin/types/',
    '/v3/admin/volumes/detail/',
    '/v3/volumes/',
  ]) {
    const r = await k.req('GET', path);
    assert.equal(r.status, 404, path);
    assert.deepEqual(r.body, { itemNotFound: { code: 404, message: 'The resource could not be found.' } });
  }
  assert.equal((await k.req('GET', '/v3/admin/volumes')).status, 200);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileDriver } from '../../src/volume/drivers/file-driver.js';
import { GiB, volumeName } from '../../src/volume/driver.js';

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'kindling-file-'));
  const d = new FileDriver({
    volume_backend_name: 'file',
    file_volume_dir: join(dir, 'vols'),
    reserved_percentage: 0,
    max_over_subscription_ratio: '20.0',
  });
  return {
    dir,
    d,
    vol: (id: string, size: number) => ({
      id,
      name: volumeName(id),
      size,
      host: 'h@file#file',
      provider_location: null,
    }),
  };
}

test('create makes a sparse raw file of exactly size GiB; extend grows it; delete removes it', async (t) => {
  const { dir, d, vol } = setup();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await d.doSetup();
  await d.checkForSetupError();
  const v = vol('a1', 2);
  const update = await d.createVolume(v);
  const path = join(dir, 'vols', 'volume-a1');
  assert.equal(update?.provider_location, path);
  const st = statSync(path);
  assert.equal(st.size, 2 * GiB);
  assert.ok(st.blocks * 512 < 1024 * 1024, `sparse: ${st.blocks * 512} bytes allocated`);
  await d.extendVolume(v, 3);
  assert.equal(statSync(path).size, 3 * GiB);
  await d.deleteVolume(v);
  assert.ok(!existsSync(path));
  await d.deleteVolume(v); // missing: still success
});

test('a repeated create repairs the existing file instead of failing', async (t) => {
  const { dir, d, vol } = setup();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await d.doSetup();
  writeFileSync(join(dir, 'vols', 'volume-b1'), 'partial');
  await d.createVolume(vol('b1', 1));
  assert.equal(statSync(join(dir, 'vols', 'volume-b1')).size, GiB);
});

test('stats report the real filesystem capacity and the provisioned total', async (t) => {
  const { dir, d, vol } = setup();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await d.doSetup();
  await d.createVolume(vol('c1', 5));
  const s = await d.getVolumeStats(true);
  const pool = s.pools[0]!;
  assert.equal(s.volume_backend_name, 'file');
  assert.equal(pool.pool_name, 'file');
  assert.ok(typeof pool.total_capacity_gb === 'number' && pool.total_capacity_gb > 0);
  assert.ok(typeof pool.free_capacity_gb === 'number' && pool.free_capacity_gb <= pool.total_capacity_gb);
  assert.equal(pool.provisioned_capacity_gb, 5);
  assert.equal(pool.thin_provisioning_support, true);
});

test('a directory that cannot be created fails setup', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kindling-file-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'afile'), '');
  const d = new FileDriver({
    volume_backend_name: 'x',
    file_volume_dir: join(dir, 'afile', 'sub'),
    reserved_percentage: 0,
    max_over_subscription_ratio: 1,
  });
  await assert.rejects(d.doSetup());
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VolumeDriver } from '../../src/volume/driver.js';
import { createDriver } from '../../src/volume/drivers/index.js';
import {
  DRIVER_FAULTS_ENV,
  faultsFor,
  parseDriverFaults,
  withDriverFaults,
  withTestDriverFaults,
} from './driver-faults.js';

async function fileDriver(t: { after(fn: () => Promise<void>): void }): Promise<VolumeDriver> {
  const dir = await mkdtemp(join(tmpdir(), 'kindling-faults-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const d = createDriver({
    name: 'alpha',
    volume_driver: 'file',
    volume_backend_name: 'alpha',
    file_volume_dir: dir,
    reserved_percentage: 0,
    max_over_subscription_ratio: 20,
    extra: {},
  });
  await d.doSetup();
  return d;
}

const vol = { id: 'v1', name: 'volume-v1', size: 1, host: null, provider_location: null };

test('unset or empty: no faults, the driver itself comes back', async (t) => {
  const d = await fileDriver(t);
  assert.deepEqual(parseDriverFaults(undefined), {});
  assert.equal(withTestDriverFaults(d, 'alpha', {}), d);
  assert.equal(withTestDriverFaults(d, 'alpha', { [DRIVER_FAULTS_ENV]: ' ' }), d);
});

test('a backend entry wins over *, other backends get * or nothing', () => {
  const spec = parseDriverFaults('{"alpha": {"createVolumeError": "x"}, "*": {"capacityGb": 3}}');
  assert.deepEqual(faultsFor(spec, 'alpha'), { createVolumeError: 'x' });
  assert.deepEqual(faultsFor(spec, 'beta'), { capacityGb: 3 });
  assert.equal(faultsFor(parseDriverFaults('{"alpha": {}}'), 'beta'), undefined);
});

test('a malformed spec is refused, not ignored', () => {
  assert.throws(() => parseDriverFaults('[1]'), /JSON object keyed by backend name/);
  assert.throws(() => parseDriverFaults('{"alpha": {"createVolumeErr": "x"}}'), /bad faults for alpha/);
  assert.throws(() => parseDriverFaults('{"alpha": "boom"}'), /bad faults for alpha/);
  assert.throws(() => parseDriverFaults('{alpha'), SyntaxError);
});

test('createVolumeError fails creates; the rest of the driver still works', async (t) => {
  const d = withTestDriverFaults(await fileDriver(t), 'alpha', {
    [DRIVER_FAULTS_ENV]: '{"alpha": {"createVolumeError": "backend exploded"}}',
  });
  await assert.rejects(d.createVolume(vol), /^Error: backend exploded$/);
  assert.equal(await d.volumeExists(vol), false);
  await d.deleteVolume(vol);
  const stats = await d.getVolumeStats(true);
  assert.ok(typeof stats.pools[0]!.total_capacity_gb === 'number' && stats.pools[0]!.total_capacity_gb > 0);
});

test('capacityGb makes every pool report that total and free capacity', async (t) => {
  const real = await fileDriver(t);
  const d = withDriverFaults(real, { capacityGb: 6 });
  const stats = await d.getVolumeStats(true);
  assert.deepEqual(
    stats.pools.map((p) => [p.total_capacity_gb, p.free_capacity_gb]),
    [[6, 6]],
  );
  await d.createVolume(vol);
  assert.equal(await real.volumeExists(vol), true, 'creates reach the real driver');
});

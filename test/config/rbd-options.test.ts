import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/common/errors.js';
import { loadConfig } from '../../src/config/config.js';
import { RBD_OPTIONS, resolveRbdOptions } from '../../src/config/rbd-options.js';
import { OPTIONS } from '../../src/config/options.js';

test("an rbd backend section without options gets Cinder's defaults", () => {
  assert.deepEqual(resolveRbdOptions('ceph', {}), {
    rbd_cluster_name: 'ceph',
    rbd_pool: 'rbd',
    rbd_user: null,
    rbd_ceph_conf: '',
    rbd_keyring_conf: null,
    rbd_keyring_in_connection_info: false,
    rbd_flatten_volume_from_snapshot: false,
    rbd_secret_uuid: null,
    rbd_max_clone_depth: 5,
    rbd_store_chunk_size: 4,
    rados_connect_timeout: -1,
    report_dynamic_total_capacity: true,
    rbd_exclusive_cinder_pool: true,
    rbd_command_timeout: 60,
  });
});

test('values from a config file section are converted as oslo does', () => {
  const o = resolveRbdOptions('Ceph', {
    volume_driver: 'rbd',
    rbd_pool: 'volumes',
    rbd_user: 'cinder',
    rbd_flatten_volume_from_snapshot: 'yes',
    rbd_max_clone_depth: '0',
    rbd_store_chunk_size: '8',
    rados_connect_timeout: '5',
    report_dynamic_total_capacity: 'False',
  });
  assert.equal(o.rbd_pool, 'volumes');
  assert.equal(o.rbd_user, 'cinder');
  assert.equal(o.rbd_flatten_volume_from_snapshot, true);
  assert.equal(o.rbd_max_clone_depth, 0);
  assert.equal(o.rbd_store_chunk_size, 8);
  assert.equal(o.rados_connect_timeout, 5);
  assert.equal(o.report_dynamic_total_capacity, false);
});

test('bad values fail loudly, naming the option and the section', () => {
  assert.throws(
    () => resolveRbdOptions('ceph', { rbd_store_chunk_size: '64' }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message === "Invalid value for option rbd_store_chunk_size in group [ceph]: '64' (should be <= 32)",
  );
  assert.throws(() => resolveRbdOptions('ceph', { rbd_exclusive_cinder_pool: 'maybe' }), ConfigError);
  assert.throws(() => resolveRbdOptions('ceph', { rbd_command_timeout: '0' }), ConfigError);
});

test('a backend section of a config file reaches the driver options through extra', () => {
  const c = loadConfig({
    env: {
      KINDLING__DEFAULT__enabled_backends: 'ceph',
      KINDLING__ceph__volume_driver: 'rbd',
      KINDLING__ceph__rbd_pool: 'volumes',
      KINDLING__ceph__RBD_MAX_CLONE_DEPTH: '2',
    },
  });
  const o = resolveRbdOptions('ceph', c.backends.ceph!.extra);
  assert.equal(o.rbd_pool, 'volumes');
  assert.equal(o.rbd_max_clone_depth, 2);
});

test('the rbd options are listed with the other backend options', () => {
  for (const name of Object.keys(RBD_OPTIONS))
    assert.ok(
      OPTIONS.some((o) => o.name === name && o.section === '<backend>'),
      name,
    );
});

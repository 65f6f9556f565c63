import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/index.js';
import { backendSectionOptions } from '../../src/service/volume-services.js';

test('driver options come from the backend section, then from [backend_defaults]', () => {
  const config = loadConfig({
    env: {
      KINDLING__DEFAULT__enabled_backends: 'ceph,ceph2',
      KINDLING__backend_defaults__rbd_pool: 'shared',
      KINDLING__backend_defaults__rbd_user: 'cinder',
      KINDLING__ceph__rbd_pool: 'own',
    },
  });
  const ceph = backendSectionOptions(config, 'ceph').extra;
  const ceph2 = backendSectionOptions(config, 'ceph2').extra;
  assert.equal(ceph.rbd_pool, 'own');
  assert.equal(ceph.rbd_user, 'cinder');
  assert.equal(ceph2.rbd_pool, 'shared');
  assert.throws(() => backendSectionOptions(config, 'nope'), /not in enabled_backends/);
});

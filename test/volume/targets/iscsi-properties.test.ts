import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidConnector, InvalidVolume } from '../../../src/common/errors.js';
import { iscsiConnectionInfo, validateIscsiConnector } from '../../../src/volume/targets/iscsi-properties.js';
import type { TargetVolume } from '../../../src/volume/targets/target.js';

const IQN = 'iqn.2010-10.org.openstack:volume-8b3f';
const vol: TargetVolume = {
  id: '8b3f',
  name: 'volume-8b3f',
  provider_location: `127.0.0.1:3260,2 ${IQN} 1`,
  provider_auth: 'CHAP user1 secret1',
  encrypted: false,
};

test("initialize_connection answers Cinder's _get_iscsi_properties shape", () => {
  const info = iscsiConnectionInfo('iscsi', vol, { initiator: 'iqn.1994-05.com.redhat:c1' });
  assert.deepEqual(info, {
    driver_volume_type: 'iscsi',
    data: {
      target_discovered: false,
      target_portal: '127.0.0.1:3260',
      target_iqn: IQN,
      target_lun: 1,
      volume_id: '8b3f',
      auth_method: 'CHAP',
      auth_username: 'user1',
      auth_password: 'secret1',
      encrypted: false,
    },
  });
  // Key order as Cinder builds the dict (clients print it).
  assert.deepEqual(Object.keys(info.data), [
    'target_discovered',
    'target_portal',
    'target_iqn',
    'target_lun',
    'volume_id',
    'auth_method',
    'auth_username',
    'auth_password',
    'encrypted',
  ]);
});

test('multipath connectors (or several portals) also get the lists; no CHAP means no auth keys', () => {
  const multi = iscsiConnectionInfo(
    'iser',
    { ...vol, provider_auth: null, encrypted: true },
    { initiator: 'i', multipath: true },
  );
  assert.equal(multi.driver_volume_type, 'iser');
  assert.deepEqual(multi.data, {
    target_discovered: false,
    target_portals: ['127.0.0.1:3260'],
    target_iqns: [IQN],
    target_luns: [1],
    target_portal: '127.0.0.1:3260',
    target_iqn: IQN,
    target_lun: 1,
    volume_id: '8b3f',
    encrypted: true,
  });
  const two = iscsiConnectionInfo(
    'iscsi',
    { ...vol, provider_location: `10.0.0.1:3260;10.0.1.1:3260,1 ${IQN} 1` },
    { initiator: 'i', multipath: false },
  );
  assert.deepEqual(two.data.target_portals, ['10.0.0.1:3260', '10.0.1.1:3260']);
  assert.deepEqual(two.data.target_iqns, [IQN, IQN]);
  assert.deepEqual(two.data.target_luns, [1, 1]);
  assert.equal(two.data.target_portal, '10.0.0.1:3260');
});

test('a volume that is not exported cannot be connected', () => {
  assert.throws(
    () => iscsiConnectionInfo('iscsi', { ...vol, provider_location: null }, { initiator: 'i' }),
    (e: unknown) =>
      e instanceof InvalidVolume &&
      e.message === 'Invalid volume: Could not find iSCSI export for volume volume-8b3f',
  );
});

test('validate_connector needs the initiator name (400)', () => {
  validateIscsiConnector({ initiator: 'iqn.1994-05.com.redhat:c1', host: 'h' });
  assert.throws(
    () => validateIscsiConnector({ host: 'h', ip: '10.0.0.5' }),
    (e: unknown) =>
      e instanceof InvalidConnector &&
      e.code === 400 &&
      e.message === "Connector doesn't have required information: initiator",
  );
});

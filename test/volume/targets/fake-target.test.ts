import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/common/errors.js';
import { resolveTargetOptions, type TargetOptions } from '../../../src/config/target-options.js';
import { createTarget, FakeTarget, TgtAdm } from '../../../src/volume/targets/index.js';
import type { TargetVolume } from '../../../src/volume/targets/target.js';

const opts = (extra: Record<string, string> = {}): TargetOptions =>
  resolveTargetOptions('file', { target_helper: 'fake', ...extra }, { state_path: '/nonexistent' });
const vol = (id: string): TargetVolume => ({
  id,
  name: `volume-${id}`,
  provider_location: null,
  provider_auth: null,
  encrypted: false,
});

test('createTarget picks the helper; an unknown one fails naming the supported ones', () => {
  assert.ok(createTarget(opts()) instanceof FakeTarget);
  // NOTE: constructing the tgtadm helper starts nothing (tgt need not be installed).
  assert.ok(createTarget(opts({ target_helper: 'tgtadm' })) instanceof TgtAdm);
  assert.throws(
    () => createTarget({ ...opts(), target_helper: 'lioadm' as 'fake' }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message === "target_helper 'lioadm' is not supported by Kindling (supported: tgtadm, fake)",
  );
});

test('the fake target records exports, with distinct tids and generated CHAP, and forgets them on restart', async () => {
  const t = new FakeTarget(opts({ use_chap_auth: 'true', target_port: '3261' }));
  const a = await t.createExport(vol('a'), '/v/volume-a');
  const b = await t.createExport(vol('b'), '/v/volume-b');
  assert.equal(a.provider_location, '127.0.0.1:3261,1 iqn.2010-10.org.openstack:volume-a 1');
  assert.equal(b.provider_location, '127.0.0.1:3261,2 iqn.2010-10.org.openstack:volume-b 1');
  assert.match(a.provider_auth ?? '', /^CHAP \S{20} \S{16}$/);
  assert.notEqual(a.provider_auth, b.provider_auth);
  const again = await t.createExport({ ...vol('a'), ...a }, '/v/volume-a');
  assert.deepEqual(again, a, 'idempotent: same tid, same secret');

  let restarts = 0;
  t.onRestart(async () => {
    restarts++;
    await t.ensureExport({ ...vol('a'), ...a }, '/v/volume-a');
  });
  await t.simulateRestart();
  assert.equal(restarts, 1);
  assert.deepEqual([...t.exports.keys()], ['iqn.2010-10.org.openstack:volume-a']);
  assert.equal(
    t.exports.get('iqn.2010-10.org.openstack:volume-a')?.chap?.password,
    a.provider_auth?.split(' ')[2],
  );

  await t.extendTarget({ ...vol('a'), ...a }, '/v/volume-a');
  assert.equal(t.exports.get('iqn.2010-10.org.openstack:volume-a')?.extended, 1);
  await t.removeExport({ ...vol('a'), ...a });
  await t.removeExport({ ...vol('a'), ...a });
  assert.equal(t.exports.size, 0);
  assert.equal(t.initializeConnection({ ...vol('a'), ...a }, { initiator: 'i' }).data.auth_method, 'CHAP');
  await t.stop();
});

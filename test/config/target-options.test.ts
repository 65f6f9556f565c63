import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/common/errors.js';
import { loadConfig } from '../../src/config/config.js';
import { OPTIONS } from '../../src/config/options.js';
import { resolveTargetOptions, TARGET_OPTIONS } from '../../src/config/target-options.js';

const ctx = { state_path: '/srv/kindling/' };

test("a backend section without target options gets Cinder's defaults (and Kindling's for the rest)", () => {
  assert.deepEqual(resolveTargetOptions('file', {}, ctx), {
    target_helper: 'tgtadm',
    target_prefix: 'iqn.2010-10.org.openstack:',
    target_ip_address: '127.0.0.1',
    target_port: 3260,
    target_protocol: 'iscsi',
    use_chap_auth: false,
    chap_username: '',
    chap_password: '',
    volumes_dir: '/srv/kindling/targets',
    iscsi_write_cache: 'on',
    iscsi_target_flags: '',
    tgtd_control_port: null,
  });
});

test('values are converted as oslo does; the section wins over [backend_defaults]', () => {
  const o = resolveTargetOptions(
    'File',
    {
      volume_driver: 'file',
      target_port: '13260',
      use_chap_auth: 'True',
      target_protocol: 'iser',
      iscsi_write_cache: 'off',
      iscsi_target_flags: 'sync:direct',
      tgtd_control_port: '7',
      volumes_dir: '$state_path/iscsi',
    },
    { state_path: '/srv/k', backend_defaults: { target_port: '1', target_ip_address: '::1' } },
  );
  assert.equal(o.target_port, 13260);
  assert.equal(o.use_chap_auth, true);
  assert.equal(o.target_protocol, 'iser');
  assert.equal(o.iscsi_write_cache, 'off');
  assert.equal(o.iscsi_target_flags, 'sync:direct');
  assert.equal(o.tgtd_control_port, 7);
  assert.equal(o.volumes_dir, '/srv/k/iscsi');
  assert.equal(o.target_ip_address, '::1', 'from [backend_defaults]');
});

test('a half-configured CHAP account in [backend_defaults] is refused too', () => {
  assert.throws(
    () => resolveTargetOptions('file', {}, { ...ctx, backend_defaults: { chap_username: 'u' } }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message ===
        'Invalid value for option chap_password in group [file]: set both chap_username and chap_password, or neither (then each volume gets its own generated account)',
  );
});

test('bad values fail loudly, naming the option and the section', () => {
  assert.throws(
    () => resolveTargetOptions('lvm', { target_helper: 'lioadm' }, ctx),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message ===
        "Invalid value for option target_helper in group [lvm]: 'lioadm' (valid values are tgtadm, fake)",
  );
  assert.throws(
    () => resolveTargetOptions('lvm', { target_ip_address: '$my_ip' }, ctx),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message ===
        "Invalid value for option target_ip_address in group [lvm]: '$my_ip' is not an IP address (tgtd binds its portal to it)",
  );
  const bad: Record<string, string>[] = [
    { target_port: '0' },
    { target_port: '65536' },
    { target_protocol: 'nvmet_tcp' },
    { iscsi_write_cache: 'maybe' },
    { use_chap_auth: 'sometimes' },
    { chap_username: 'a b', chap_password: 'c' },
    { target_prefix: '' },
    { tgtd_control_port: '-1' },
  ];
  for (const extra of bad)
    assert.throws(() => resolveTargetOptions('lvm', extra, ctx), ConfigError, JSON.stringify(extra));
});

test('a backend section of a config file reaches the target options through extra', () => {
  const c = loadConfig({
    env: {
      KINDLING__DEFAULT__state_path: '/tmp/k',
      KINDLING__DEFAULT__enabled_backends: 'file',
      KINDLING__file__use_chap_auth: 'yes',
      KINDLING__backend_defaults__target_port: '3261',
    },
  });
  const o = resolveTargetOptions('file', c.backends.file!.extra, {
    state_path: c.DEFAULT.state_path,
    backend_defaults: c.raw.backend_defaults,
  });
  assert.equal(o.use_chap_auth, true);
  assert.equal(o.target_port, 3261);
  assert.equal(o.volumes_dir, '/tmp/k/targets');
});

test('the target options are listed with the other backend options', () => {
  for (const name of Object.keys(TARGET_OPTIONS))
    assert.ok(
      OPTIONS.some((o) => o.name === name && o.section === '<backend>'),
      name,
    );
});

/**
 * How the RBD driver's command runner reports failures, without a cluster: exit statuses (errnos)
 * to typed errors, a hung command killed at its limit, a missing binary — using small shell
 * scripts in place of `rbd`/`ceph` that print and exit as the real tools do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CephUnreachable,
  RbdCommandError,
  RbdImageBusy,
  RbdImageExists,
  RbdImageHasSnapshots,
  RbdImageNotFound,
  RbdInvalidArgument,
  RbdNoSpace,
  RbdPermissionDenied,
  VolumeBackendAPIException,
} from '../../../src/common/errors.js';
import { CephCli, commandError, type CephCliOptions } from '../../../src/volume/drivers/rbd-cli.js';

const OPTS: CephCliOptions = {
  cluster: 'ceph',
  conf: '/etc/ceph/test.conf',
  user: 'cinder',
  keyring: '/etc/ceph/test.keyring',
  connectTimeoutSeconds: 7,
  opTimeoutSeconds: null,
  commandTimeoutMs: 60_000,
};

test('exit statuses map to typed errors by errno', () => {
  const cases: [number, string, new (...a: never[]) => RbdCommandError][] = [
    [2, 'rbd: error opening image x: (2) No such file or directory', RbdImageNotFound],
    [17, 'rbd: create error: (17) File exists', RbdImageExists],
    [16, 'rbd: unprotecting snap failed: (16) Device or resource busy', RbdImageBusy],
    [39, 'rbd: image has snapshots - these must be deleted', RbdImageHasSnapshots],
    [22, 'rbd: shrinking an image is only allowed with the --allow-shrink flag', RbdInvalidArgument],
    [28, 'No space left on device', RbdNoSpace],
    [122, 'Disk quota exceeded', RbdNoSpace],
    [13, "rbd: couldn't connect to the cluster!", RbdPermissionDenied],
    [110, "rbd: couldn't connect to the cluster!", CephUnreachable],
    [1, 'timed out', CephUnreachable],
    [1, '[errno 1] Operation not permitted', RbdPermissionDenied],
    [1, "rbd: unrecognised option '--bogus'", RbdCommandError],
    [5, 'Input/output error', RbdCommandError],
  ];
  for (const [errno, stderr, Cls] of cases) {
    const e = commandError('rbd info volumes/x', errno, `noise\n${stderr}\n`);
    assert.equal(e.constructor, Cls, `${errno} ${stderr}`);
    assert.ok(e instanceof VolumeBackendAPIException);
    assert.equal(e.errno, errno);
    assert.equal(
      e.message,
      `Bad or unexpected response from the storage volume backend API: rbd info volumes/x failed (exit ${errno}): ${stderr}`,
    );
  }
});

/** A fake tool: records its arguments in `<dir>/<name>.args`, then runs `body`. */
function fakeTool(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\nprintf '%s\\n' "$@" > ${join(dir, `${name}.args`)}\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

test('every call carries the connection arguments and timeouts; JSON is parsed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kindling-rbd-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const rbd = fakeTool(dir, 'rbd', `echo '{"size": 1073741824, "order": 22}'`);
  const ceph = fakeTool(dir, 'ceph', `echo '{"fsid": "f"}'`);
  const cli = new CephCli({ ...OPTS, opTimeoutSeconds: 7 }, { rbd, ceph });
  assert.deepEqual(await cli.rbdJson(['info', 'volumes/x']), { size: 1073741824, order: 22 });
  assert.deepEqual(readFileSync(join(dir, 'rbd.args'), 'utf8').trim().split('\n'), [
    '--cluster',
    'ceph',
    '--conf',
    '/etc/ceph/test.conf',
    '--id',
    'cinder',
    '--keyring',
    '/etc/ceph/test.keyring',
    '--client_mount_timeout=7',
    '--rados_mon_op_timeout=7',
    '--rados_osd_op_timeout=7',
    'info',
    'volumes/x',
    '--format',
    'json',
  ]);
  assert.deepEqual(await cli.cephJson(['fsid']), { fsid: 'f' });
  const cephArgs = readFileSync(join(dir, 'ceph.args'), 'utf8').trim().split('\n');
  assert.ok(cephArgs.includes('--connect-timeout=7'));
  assert.deepEqual(cephArgs.slice(-3), ['fsid', '--format', 'json']);

  const minimal = new CephCli({ ...OPTS, conf: '', user: null, keyring: null }, { rbd });
  await minimal.rbd(['ls', 'volumes']);
  assert.deepEqual(readFileSync(join(dir, 'rbd.args'), 'utf8').trim().split('\n'), [
    '--cluster',
    'ceph',
    '--client_mount_timeout=7',
    'ls',
    'volumes',
  ]);
});

test('a failed command rejects with its typed error; garbage output is an error too', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kindling-rbd-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const missing = fakeTool(
    dir,
    'rbd',
    `echo 'rbd: error opening image x: (2) No such file or directory' >&2; exit 2`,
  );
  await assert.rejects(new CephCli(OPTS, { rbd: missing }).rbd(['info', 'volumes/x']), (e: unknown) => {
    assert.ok(e instanceof RbdImageNotFound);
    assert.match(e.message, /rbd info volumes\/x failed \(exit 2\): rbd: error opening image x/);
    return true;
  });
  const garbage = fakeTool(dir, 'rbd2', `echo 'not json'`);
  await assert.rejects(
    new CephCli(OPTS, { rbd: garbage }).rbdJson(['info', 'x']),
    /unparsable output: not json/,
  );
});

test('a command that hangs is killed at its limit: CephUnreachable, promptly', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kindling-rbd-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // NOTE: ignores SIGTERM, as an rbd client blocked on a dead cluster does.
  const hang = fakeTool(dir, 'rbd', `trap '' TERM; sleep 30`);
  const cli = new CephCli({ ...OPTS, commandTimeoutMs: 300 }, { rbd: hang });
  const t0 = performance.now();
  await assert.rejects(cli.rbd(['create', 'volumes/x']), (e: unknown) => {
    assert.ok(e instanceof CephUnreachable);
    assert.equal(e.errno, null);
    assert.match(e.message, /no answer within 0\.3 s \(killed\)/);
    return true;
  });
  assert.ok(performance.now() - t0 < 5000);
});

test('a missing binary says which package to install', async () => {
  const cli = new CephCli(OPTS, { rbd: '/nonexistent/rbd' });
  await assert.rejects(cli.rbd(['ls']), /is not installed \(Debian package ceph-common\)/);
});

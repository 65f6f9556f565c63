/**
 * The tgtadm target helper against a real tgtd (its own, spawned by the module, on a free port)
 * and a real userspace initiator (qemu-io/qemu-img over libiscsi, iscsi-ls): bytes written over
 * iSCSI land in the backing file, CHAP is enforced, exports come back after a restart of the
 * service or of tgtd, removal drops sessions, an extended file shows its new size. Every test
 * stops its tgtd; the last one checks none is left. Skipped, with the reason, only when the
 * packages cannot be installed (scripts/tgt-up.sh exits 3).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ISCSITargetCreateFailed,
  ISCSITargetDaemonUnavailable,
  InvalidConnector,
} from '../../src/common/errors.js';
import { resolveTargetOptions } from '../../src/config/target-options.js';
import type { TargetVolume } from '../../src/volume/targets/target.js';
import { TgtAdm } from '../../src/volume/targets/tgt-target.js';
import { Tgtadm } from '../../src/volume/targets/tgtadm.js';
import {
  discover,
  ensureIscsiPackages,
  freePort,
  iscsiSize,
  openSession,
  qemuIo,
  startScriptTgtd,
  stopScriptTgtd,
  tgtdPidsFor,
  type IscsiLun,
} from './iscsi-client.js';

const MiB = 1024 ** 2;
const skip = await ensureIscsiPackages();
const root = mkdtempSync(join(tmpdir(), 'kindling-tgt-test-'));
const portals = new Set<string>();
const targets: TgtAdm[] = [];
after(async () => {
  for (const t of targets) await t.stop();
  rmSync(root, { recursive: true, force: true });
});

interface Setup {
  readonly t: TgtAdm;
  readonly dir: string;
  readonly port: number;
  readonly portal: string;
  /** A new sparse volume file and its volume row. */
  volume(sizeMiB?: number): { vol: TargetVolume; path: string };
}

async function setup(extra: Record<string, string> = {}): Promise<Setup> {
  const dir = mkdtempSync(join(root, 'state-'));
  const port = extra.target_port ? Number(extra.target_port) : await freePort();
  const opts = resolveTargetOptions('file', { target_port: String(port), ...extra }, { state_path: dir });
  const t = new TgtAdm(opts);
  targets.push(t);
  portals.add(`127.0.0.1:${port}`);
  mkdirSync(join(dir, 'volumes'), { recursive: true });
  return {
    t,
    dir,
    port,
    portal: `127.0.0.1:${port}`,
    volume(sizeMiB = 64) {
      const id = randomUUID();
      const path = join(dir, 'volumes', `volume-${id}`);
      writeFileSync(path, '');
      truncateSync(path, sizeMiB * MiB);
      return {
        vol: { id, name: `volume-${id}`, provider_location: null, provider_auth: null, encrypted: false },
        path,
      };
    },
  };
}

/** Where the export in provider_location is, with the CHAP credentials of provider_auth. */
function lunOf(v: { provider_location: string | null; provider_auth: string | null }): IscsiLun {
  const [portals = '', iqn = '', lun = '0'] = (v.provider_location ?? '').split(' ');
  const auth = v.provider_auth?.split(' ');
  return {
    portal: portals.split(',')[0] ?? '',
    iqn,
    lun: Number(lun),
    ...(auth ? { chap: { user: auth[1] ?? '', password: auth[2] ?? '' } } : {}),
  };
}

function ok(r: { status: number | null; out: string }, what: string): void {
  assert.equal(r.status, 0, `${what}: ${r.out}`);
}

test(
  'an export serves the file: bytes written over iSCSI are in the file and read back',
  { skip },
  async () => {
    const s = await setup();
    const { vol, path } = s.volume();
    const model = await s.t.createExport(vol, path);
    const iqn = `iqn.2010-10.org.openstack:${vol.name}`;
    assert.match(model.provider_location, new RegExp(`^127\\.0\\.0\\.1:${s.port},\\d+ ${iqn} 1$`));
    assert.equal(model.provider_auth, null, 'use_chap_auth is off by default');

    const lun = lunOf(model);
    ok(await qemuIo(lun, 'write -P 0xab 0 1M'), 'write');
    ok(await qemuIo(lun, 'read -P 0xab 0 1M'), 'read');
    const file = readFileSync(path);
    assert.ok(
      file.subarray(0, MiB).every((b) => b === 0xab),
      'the backing file holds the bytes',
    );
    assert.ok(file.subarray(MiB, 2 * MiB).every((b) => b === 0));
    assert.deepEqual(await discover(s.portal), [iqn]);

    const persisted = join(s.dir, 'targets', vol.name);
    assert.equal(statSync(persisted).mode & 0o777, 0o600);
    assert.match(
      readFileSync(persisted, 'utf8'),
      new RegExp(`^<target ${iqn}>\\n    backing-store ${path}\\n`),
    );

    // Idempotent: the same target (tid) again.
    assert.deepEqual(await s.t.createExport({ ...vol, ...model }, path), model);
    await s.t.stop();
    assert.deepEqual(tgtdPidsFor(s.portal), []);
  },
);

test('CHAP: the right secret logs in, a wrong one or none is refused', { skip }, async () => {
  const s = await setup({ use_chap_auth: 'true' });
  const { vol, path } = s.volume();
  const model = await s.t.createExport(vol, path);
  assert.match(model.provider_auth ?? '', /^CHAP [2-9A-Za-z]{20} [2-9A-Za-z]{16}$/);
  const lun = lunOf(model);
  ok(await qemuIo(lun, 'write -P 0x5a 4096 4096', 'read -P 0x5a 4096 4096'), 'with the secret');
  const wrong = await qemuIo(
    { ...lun, chap: { user: lun.chap?.user ?? '', password: 'WrongSecret12345' } },
    'read 0 4k',
  );
  assert.notEqual(wrong.status, 0);
  assert.match(wrong.out, /Authentication failure/);
  const none = await qemuIo({ portal: lun.portal, iqn: lun.iqn, lun: 1 }, 'read 0 4k');
  assert.notEqual(none.status, 0);
  assert.match(none.out, /Authentication failure/);
  assert.match(
    readFileSync(join(s.dir, 'targets', vol.name), 'utf8'),
    new RegExp(`incominguser ${lun.chap?.user} ${lun.chap?.password}\\n`),
  );

  // A configured account is used for every volume instead of generated ones.
  const c = await setup({
    use_chap_auth: 'true',
    chap_username: 'kindling',
    chap_password: 'Secret4Kindling',
  });
  const a = c.volume();
  const b = c.volume();
  const ma = await c.t.createExport(a.vol, a.path);
  const mb = await c.t.createExport(b.vol, b.path);
  assert.equal(ma.provider_auth, 'CHAP kindling Secret4Kindling');
  assert.equal(mb.provider_auth, 'CHAP kindling Secret4Kindling');
  ok(await qemuIo(lunOf(mb), 'read 0 4k'), 'shared account');
  await c.t.removeExport({ ...a.vol, ...ma });
  ok(await qemuIo(lunOf(mb), 'read 0 4k'), 'the shared account stays while a target uses it');
  await s.t.stop();
  await c.t.stop();
});

test(
  'ensureExport after stop() and start() (a fresh, empty tgtd) brings back the same IQN and secret',
  { skip },
  async () => {
    const s = await setup({ use_chap_auth: 'true' });
    const { vol, path } = s.volume();
    const model = await s.t.createExport(vol, path);
    ok(await qemuIo(lunOf(model), 'write -P 0x11 0 64k'), 'write');
    const firstPid = s.t.daemon?.pid;
    await s.t.stop();
    assert.deepEqual(tgtdPidsFor(s.portal), []);

    await s.t.start();
    assert.notEqual(s.t.daemon?.pid, firstPid);
    assert.notEqual((await qemuIo(lunOf(model), 'read 0 4k')).status, 0, 'the new tgtd has no target');
    await s.t.ensureExport({ ...vol, ...model }, path);
    ok(await qemuIo(lunOf(model), 'read -P 0x11 0 64k'), 'read after ensureExport');
    await s.t.ensureExport({ ...vol, ...model }, path); // idempotent
    ok(await qemuIo(lunOf(model), 'read -P 0x11 0 64k'), 'read after a second ensureExport');
    await s.t.stop();
  },
);

test(
  'a tgtd killed with SIGKILL is restarted by the watcher and onRestart re-exports',
  { skip },
  async () => {
    const s = await setup();
    const { vol, path } = s.volume();
    const model = await s.t.createExport(vol, path);
    const row = { ...vol, ...model };
    let restarts = 0;
    const restarted = new Promise<void>((resolve) =>
      s.t.onRestart(async () => {
        restarts++;
        await s.t.ensureExport(row, path);
        resolve();
      }),
    );
    const pid = s.t.daemon?.pid as number;
    process.kill(pid, 'SIGKILL');
    await Promise.race([
      restarted,
      sleep(15_000, undefined, { ref: false }).then(() => assert.fail('no restart within 15 s')),
    ]);
    assert.equal(restarts, 1);
    assert.notEqual(s.t.daemon?.pid, pid);
    ok(await qemuIo(lunOf(model), 'read 0 4k'), 'read after the restart');
    await s.t.stop();
    assert.deepEqual(tgtdPidsFor(s.portal), []);
  },
);

test(
  'removeExport drops the target even with a session; the file goes; again is fine',
  { skip },
  async () => {
    const s = await setup({ use_chap_auth: 'true' });
    const { vol, path } = s.volume();
    const model = await s.t.createExport(vol, path);
    const row = { ...vol, ...model };
    const session = openSession(lunOf(model));
    try {
      await sleep(500);
      const control = new Tgtadm(s.t.daemon?.controlPort as number, 'iscsi');
      assert.equal((await control.targets())[0]?.sessions, 1, 'an initiator is logged in');
      await s.t.removeExport(row);
      assert.deepEqual(await control.targets(), []);
      assert.deepEqual(await control.accounts(), [], "the volume's CHAP account went with it");
    } finally {
      await session.close();
    }
    assert.notEqual((await qemuIo(lunOf(model), 'read 0 4k')).status, 0);
    assert.deepEqual(await discover(s.portal), []);
    assert.equal(existsSync(join(s.dir, 'targets', vol.name)), false);
    await s.t.removeExport(row);
    await s.t.removeExport({ ...vol, provider_location: null });
    await s.t.stop();
    // NOTE: a stopped own tgtd holds nothing, so removal needs no tgtd (it starts none).
    await s.t.removeExport(row);
    assert.equal(s.t.daemon, null);
  },
);

test('extendTarget: after the file grew, a new session sees the new size', { skip }, async () => {
  const s = await setup();
  const { vol, path } = s.volume(64);
  const model = await s.t.createExport(vol, path);
  ok(await qemuIo(lunOf(model), 'write -P 0x77 0 1M'), 'write');
  assert.equal(await iscsiSize(lunOf(model)), 64 * MiB);
  truncateSync(path, 128 * MiB);
  assert.equal(await iscsiSize(lunOf(model)), 64 * MiB, 'tgtd fixed the size when the LUN was added');
  await s.t.extendTarget({ ...vol, ...model }, path);
  assert.equal(await iscsiSize(lunOf(model)), 128 * MiB);
  ok(await qemuIo(lunOf(model), 'read -P 0x77 0 1M', 'write -P 0x78 127M 1M'), 'old bytes and new space');
  const other = s.volume();
  await s.t.extendTarget(other.vol, other.path); // not exported: nothing to do
  await s.t.stop();
});

test('volumes get distinct tids, also when exported concurrently', { skip }, async () => {
  const s = await setup();
  const first = s.volume();
  const second = s.volume();
  const m1 = await s.t.createExport(first.vol, first.path);
  const m2 = await s.t.createExport(second.vol, second.path);
  const tidOf = (m: { provider_location: string }) => Number(/,(\d+) /.exec(m.provider_location)?.[1]);
  assert.deepEqual([tidOf(m1), tidOf(m2)], [1, 2]);

  const many = Array.from({ length: 6 }, () => s.volume(8));
  const models = await Promise.all(many.map((v) => s.t.createExport(v.vol, v.path)));
  assert.deepEqual(new Set(models.map(tidOf)).size, 6);
  assert.ok(models.every((m) => tidOf(m) > 2));
  await Promise.all(
    models.map(async (m, i) => ok(await qemuIo(lunOf(m), `write -P ${i + 1} 0 4k`), `write ${i}`)),
  );
  for (const [i, m] of models.entries()) ok(await qemuIo(lunOf(m), `read -P ${i + 1} 0 4k`), `read ${i}`);
  await Promise.all(models.map((m, i) => s.t.removeExport({ ...many[i]!.vol, ...m })));
  assert.equal((await discover(s.portal)).length, 2);

  // A removed volume's tid is reused (tgtd allocates nothing itself).
  await s.t.removeExport({ ...first.vol, ...m1 });
  const third = s.volume();
  assert.equal(tidOf(await s.t.createExport(third.vol, third.path)), 1);
  await s.t.stop();
});

test('validateConnector and initializeConnection of a real export', { skip }, async () => {
  const s = await setup({ use_chap_auth: 'true' });
  const { vol, path } = s.volume();
  const model = await s.t.createExport(vol, path);
  const row = { ...vol, ...model, encrypted: true };
  assert.throws(() => s.t.validateConnector({ host: 'h' }), InvalidConnector);
  s.t.validateConnector({ initiator: 'iqn.1994-05.com.example:h' });
  const [, user, secret] = (model.provider_auth ?? '').split(' ');
  const iqn = `iqn.2010-10.org.openstack:${vol.name}`;
  assert.deepEqual(s.t.initializeConnection(row, { initiator: 'i', multipath: true }), {
    driver_volume_type: 'iscsi',
    data: {
      target_discovered: false,
      target_portals: [s.portal],
      target_iqns: [iqn],
      target_luns: [1],
      target_portal: s.portal,
      target_iqn: iqn,
      target_lun: 1,
      volume_id: vol.id,
      auth_method: 'CHAP',
      auth_username: user,
      auth_password: secret,
      encrypted: true,
    },
  });
  const data = s.t.initializeConnection(row, { initiator: 'i' }).data;
  assert.equal('target_portals' in data, false);
  // What a consumer does with it: log in with exactly these values.
  ok(
    await qemuIo(
      {
        portal: data.target_portal as string,
        iqn: data.target_iqn as string,
        lun: data.target_lun as number,
        chap: { user: data.auth_username as string, password: data.auth_password as string },
      },
      'read 0 4k',
    ),
    'login with the connection info',
  );
  await s.t.stop();
});

test('backends on one portal share one tgtd; it stops with the last of them', { skip }, async () => {
  const a = await setup();
  const b = await setup({ target_port: String(a.port) });
  const va = a.volume();
  const vb = b.volume();
  const ma = await a.t.createExport(va.vol, va.path);
  const mb = await b.t.createExport(vb.vol, vb.path);
  assert.equal(a.t.daemon, b.t.daemon);
  assert.notEqual(ma.provider_location.split(' ')[0], mb.provider_location.split(' ')[0], 'distinct tids');
  await a.t.stop();
  ok(await qemuIo(lunOf(mb), 'read 0 4k'), 'still served for the other backend');
  await b.t.stop();
  assert.deepEqual(tgtdPidsFor(a.portal), []);
});

test('tgtd_control_port: an already running tgtd is used, and never stopped', { skip }, async () => {
  const tgtd = await startScriptTgtd();
  assert.ok(!('skip' in tgtd));
  try {
    const s = await setup({ target_port: String(tgtd.port), tgtd_control_port: String(tgtd.controlPort) });
    const { vol, path } = s.volume();
    const model = await s.t.createExport(vol, path);
    ok(await qemuIo(lunOf(model), 'write -P 0x42 0 4k', 'read -P 0x42 0 4k'), 'through the external tgtd');
    await s.t.stop();
    assert.deepEqual(tgtdPidsFor(s.portal), [tgtd.pid], 'still running');
    // Its exports outlive Kindling's stop, so a removal after a restart must still find them.
    await s.t.removeExport({ ...vol, ...model });
    assert.deepEqual(await new Tgtadm(tgtd.controlPort, 'iscsi').targets(), []);
    await s.t.stop();

    const none = await setup({ tgtd_control_port: String(tgtd.controlPort + 1) });
    await assert.rejects(
      none.t.start(),
      (e: unknown) =>
        e instanceof ISCSITargetDaemonUnavailable && /no tgtd answers on management channel/.test(e.message),
    );
  } finally {
    stopScriptTgtd(tgtd);
  }
});

test(
  'start-up failures are clear: port taken, tgtd not installed, and a tgtd left by a crash is replaced',
  { skip },
  async () => {
    const port = await freePort();
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      const s = await setup({ target_port: String(port) });
      await assert.rejects(
        s.t.start(),
        (e: unknown) =>
          e instanceof ISCSITargetDaemonUnavailable &&
          e.message.includes(`127.0.0.1:${port} is already in use by another process`),
      );
      const { vol, path } = s.volume();
      await assert.rejects(s.t.createExport(vol, path), ISCSITargetDaemonUnavailable);
      await s.t.stop();
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }

    const dir = mkdtempSync(join(root, 'nobin-'));
    const missing = new TgtAdm(
      resolveTargetOptions('file', { target_port: String(await freePort()) }, { state_path: dir }),
      undefined,
      {
        tgtd: '/nonexistent/tgtd',
        tgtadm: 'tgtadm',
      },
    );
    await assert.rejects(
      missing.start(),
      (e: unknown) => e instanceof ISCSITargetDaemonUnavailable && /apt-get install tgt/.test(e.message),
    );
    await missing.stop();

    // A crashed Kindling's tgtd, recorded in volumes_dir, is stopped before a new one takes the port.
    const left = await startScriptTgtd();
    assert.ok(!('skip' in left));
    try {
      const s = await setup({ target_port: String(left.port) });
      mkdirSync(join(s.dir, 'targets'), { recursive: true });
      writeFileSync(
        join(s.dir, 'targets', `tgtd-127.0.0.1:${left.port}.pid`),
        JSON.stringify({ pid: left.pid, controlPort: left.controlPort }),
      );
      await s.t.start();
      assert.deepEqual(tgtdPidsFor(s.portal), [s.t.daemon?.pid]);
      await s.t.stop();
    } finally {
      stopScriptTgtd(left);
    }
  },
);

test('a volume file tgtd cannot open fails the export and leaves no persistence file', { skip }, async () => {
  const s = await setup();
  const { vol } = s.volume();
  await assert.rejects(s.t.createExport(vol, join(s.dir, 'volumes', 'missing')), (e: unknown) => {
    assert.ok(e instanceof ISCSITargetCreateFailed);
    assert.equal(e.message, `Failed to create iscsi target for volume ${vol.id}.`);
    return true;
  });
  assert.equal(existsSync(join(s.dir, 'targets', vol.name)), false);
  await s.t.stop();
});

test('no tgtd is left behind', { skip }, () => {
  for (const portal of portals) assert.deepEqual(tgtdPidsFor(portal), [], portal);
});

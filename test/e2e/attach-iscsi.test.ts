/**
 * Real bytes through an attachment: a Kindling (one process, SQLite) whose `file` backend exports
 * volumes over iSCSI from its own tgtd; a userspace initiator (qemu-io with libiscsi) writes and
 * reads through the portal/IQN/LUN (and CHAP secret) the attachments API answers. Also: the export
 * goes with the last detach and comes back after the volume service restarts or tgtd dies, CHAP
 * refuses a wrong secret, two consumers of a multiattach volume see the same bytes, and an
 * attached volume grows on line. Skipped, with the reason, only where tgt/qemu cannot be installed.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/index.js';
import { startEmbedded, type Embedded } from '../../src/service/embedded.js';
import {
  ensureIscsiPackages,
  freePort,
  iscsiSize,
  qemuIo,
  tgtdPidsFor,
  type IscsiLun,
} from '../volume/iscsi-client.js';

const skip = await ensureIscsiPackages();
const GiB = 1024 ** 3;
const CONNECTOR = {
  initiator: 'iqn.1994-05.com.example:kindling-test',
  ip: '127.0.0.1',
  host: 'compute1',
  platform: 'x86_64',
  os_type: 'linux2',
  multipath: false,
};

interface Running {
  k: Embedded;
  stateDir: string;
  port: number;
  env: Record<string, string>;
}

const running: Running[] = [];
after(async () => {
  for (const r of running) {
    await r.k.close().catch(() => undefined);
    rmSync(r.stateDir, { recursive: true, force: true });
  }
});

async function start(env: Record<string, string>, stateDir?: string): Promise<Running> {
  const dir = stateDir ?? mkdtempSync(join(tmpdir(), 'kindling-attach-'));
  const port = Number(env.KINDLING__file__target_port ?? (await freePort()));
  const all = { KINDLING_STATE_DIR: dir, KINDLING__file__target_port: String(port), ...env };
  const k = await startEmbedded(loadConfig({ env: all }), { log: pino({ level: 'silent' }) });
  const r = { k, stateDir: dir, port, env: all };
  running.push(r);
  await until(
    async () => ((await req(r, 'GET', '/v3/admin/scheduler-stats/get_pools')).body?.pools?.length ?? 0) > 0,
  );
  return r;
}

async function req(r: Running, method: string, url: string, body?: unknown, version = '3.44') {
  const res = await r.k.app.inject({
    method: method as 'GET',
    url,
    headers: {
      'x-auth-token': 'admin:admin',
      'content-type': 'application/json',
      'openstack-api-version': `volume ${version}`,
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null, text: res.body };
}

async function until(fn: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((res) => setTimeout(res, 50));
  }
}

async function volume(r: Running, extra: Record<string, unknown> = {}): Promise<string> {
  const c = await req(r, 'POST', '/v3/admin/volumes', { volume: { size: 1, ...extra } });
  assert.equal(c.status, 202, c.text);
  const id = c.body.volume.id as string;
  await until(
    async () => (await req(r, 'GET', `/v3/admin/volumes/${id}`)).body.volume.status === 'available',
  );
  return id;
}

async function status(r: Running, id: string): Promise<string> {
  return (await req(r, 'GET', `/v3/admin/volumes/${id}`)).body.volume.status;
}

/** Creates an attachment with `connector` and completes it; its id and connection info. */
async function attach(r: Running, id: string, connector: Record<string, unknown> = CONNECTOR) {
  const a = await req(r, 'POST', '/v3/admin/attachments', {
    attachment: { volume_uuid: id, instance_uuid: randomUUID(), connector },
  });
  assert.equal(a.status, 200, a.text);
  const done = await req(r, 'POST', `/v3/admin/attachments/${a.body.attachment.id}/action`, {
    'os-complete': null,
  });
  assert.equal(done.status, 204, done.text);
  return {
    id: a.body.attachment.id as string,
    info: a.body.attachment.connection_info as Record<string, any>,
  };
}

function lunOf(info: Record<string, any>, password?: string): IscsiLun {
  const lun: IscsiLun = { portal: info.target_portal, iqn: info.target_iqn, lun: info.target_lun };
  return info.auth_method === 'CHAP'
    ? { ...lun, chap: { user: info.auth_username, password: password ?? info.auth_password } }
    : lun;
}

function ok(res: { status: number | null; out: string }, what: string): void {
  assert.equal(res.status, 0, `${what}: ${res.out}`);
  assert.doesNotMatch(res.out, /verification failed|error/i, what);
}

test(
  'attach over iSCSI: write a pattern, detach, attach again and after a restart, read it back',
  { skip },
  async () => {
    let r = await start({});
    const id = await volume(r);
    const first = await attach(r, id);
    const info = first.info;
    assert.equal(info.driver_volume_type, 'iscsi');
    assert.equal(info.target_portal, `127.0.0.1:${r.port}`);
    assert.equal(info.target_iqn, `iqn.2010-10.org.openstack:volume-${id}`);
    assert.equal(info.target_lun, 1);
    assert.equal(info.target_discovered, false);
    assert.equal(info.volume_id, id);
    assert.equal(info.access_mode, 'rw');
    assert.equal(info.encrypted, false);
    assert.equal(info.attachment_id, first.id);
    assert.equal(info.auth_method, undefined);
    assert.equal(await status(r, id), 'in-use');
    ok(await qemuIo(lunOf(info), 'write -P 0xa5 1M 2M'), 'write');
    ok(await qemuIo(lunOf(info), 'read -P 0xa5 1M 2M'), 'read back');
    assert.equal(await iscsiSize(lunOf(info)), GiB);

    // Detach: the export goes with the last attachment.
    const del = await req(r, 'DELETE', `/v3/admin/attachments/${first.id}`);
    assert.deepEqual(del.body, { attachments: [] });
    assert.equal(await status(r, id), 'available');
    assert.notEqual((await qemuIo(lunOf(info), 'read 0 4k')).status, 0, 'the target is gone after detach');

    // Attach again: the same bytes.
    const second = await attach(r, id);
    ok(await qemuIo(lunOf(second.info), 'read -P 0xa5 1M 2M'), 'read after re-attach');

    // The service (and its tgtd) stops and starts again: the attached volume is exported again.
    await r.k.close();
    running.splice(running.indexOf(r), 1);
    assert.deepEqual(tgtdPidsFor(info.target_portal), [], 'no tgtd left behind by a stopped Kindling');
    r = await start(r.env, r.stateDir);
    assert.equal(await status(r, id), 'in-use');
    ok(await qemuIo(lunOf(second.info), 'read -P 0xa5 1M 2M'), 'read after the service restarted');

    // tgtd killed: its watcher starts a new one and the service exports the volume again.
    const [pid] = tgtdPidsFor(info.target_portal);
    assert.ok(pid, 'Kindling runs a tgtd on the portal');
    process.kill(pid, 'SIGKILL');
    await until(async () => (await qemuIo(lunOf(second.info), 'read -P 0xa5 1M 2M')).status === 0, 30_000);
    assert.notEqual(tgtdPidsFor(info.target_portal)[0], pid);
    assert.equal((await req(r, 'DELETE', `/v3/admin/attachments/${second.id}`)).status, 200);
  },
);

test(
  'CHAP on: the attachment carries per-volume credentials; a wrong secret is refused',
  { skip },
  async () => {
    const r = await start({ KINDLING__file__use_chap_auth: 'true' });
    const id = await volume(r);
    const { id: attachmentId, info } = await attach(r, id);
    assert.equal(info.auth_method, 'CHAP');
    assert.ok(info.auth_username && info.auth_password, 'CHAP user and secret in the connection info');
    ok(await qemuIo(lunOf(info), 'write -P 0x3c 0 1M'), 'write with the right secret');
    const wrong = await qemuIo(lunOf(info, 'not-the-secret-0000'), 'read 0 4k');
    assert.notEqual(wrong.status, 0, 'a wrong secret must not log in');
    ok(await qemuIo(lunOf(info), 'read -P 0x3c 0 1M'), 'read with the right secret');
    // Another volume has other credentials.
    const other = await attach(r, await volume(r));
    assert.notEqual(other.info.auth_password, info.auth_password);
    await req(r, 'DELETE', `/v3/admin/attachments/${attachmentId}`);
  },
);

test(
  'multiattach: two consumers read the same bytes; the export stays until the last detach',
  { skip },
  async () => {
    const r = await start({});
    const t = await req(r, 'POST', '/v3/admin/types', {
      volume_type: { name: 'shared', extra_specs: { multiattach: '<is> True' } },
    });
    assert.equal(t.status, 200, t.text);
    const id = await volume(r, { volume_type: 'shared' });
    const a = await attach(r, id, { ...CONNECTOR, host: 'compute1' });
    ok(await qemuIo(lunOf(a.info), 'write -P 0x77 0 1M'), 'first consumer writes');
    const b = await attach(r, id, {
      ...CONNECTOR,
      host: 'compute2',
      initiator: 'iqn.1994-05.com.example:other',
    });
    ok(await qemuIo(lunOf(b.info), 'read -P 0x77 0 1M'), 'second consumer reads what the first wrote');
    const shown = (await req(r, 'GET', `/v3/admin/volumes/${id}`)).body.volume;
    assert.equal(shown.attachments.length, 2);
    await req(r, 'DELETE', `/v3/admin/attachments/${a.id}`);
    assert.equal(await status(r, id), 'in-use');
    ok(await qemuIo(lunOf(b.info), 'read -P 0x77 0 1M'), 'the export stays for the other consumer');
    await req(r, 'DELETE', `/v3/admin/attachments/${b.id}`);
    assert.equal(await status(r, id), 'available');
    assert.notEqual((await qemuIo(lunOf(b.info), 'read 0 4k')).status, 0, 'gone after the last detach');

    // A volume that is not multiattach refuses a second attachment, with Cinder's message.
    const single = await volume(r);
    await attach(r, single);
    const second = await req(r, 'POST', '/v3/admin/attachments', {
      attachment: { volume_uuid: single, instance_uuid: randomUUID(), connector: CONNECTOR },
    });
    assert.equal(second.status, 400);
    assert.equal(
      second.body.badRequest.message,
      `Invalid volume: Volume ${single} status must be available or downloading to reserve, but the current status is in-use.`,
    );
  },
);

test(
  'an attached volume grows on line (3.42); a connector without an initiator is a 400 and changes nothing',
  { skip },
  async () => {
    const r = await start({});
    const id = await volume(r);
    const bad = await req(r, 'POST', '/v3/admin/attachments', {
      attachment: { volume_uuid: id, instance_uuid: randomUUID(), connector: { host: 'h1' } },
    });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(
      bad.body.badRequest.message,
      "Invalid input received: Connector doesn't have required information: initiator",
    );
    assert.equal(await status(r, id), 'available');
    const a = await attach(r, id);
    ok(await qemuIo(lunOf(a.info), 'write -P 0x11 0 1M'), 'write');
    const ext = await req(
      r,
      'POST',
      `/v3/admin/volumes/${id}/action`,
      { 'os-extend': { new_size: 2 } },
      '3.42',
    );
    assert.equal(ext.status, 202, ext.text);
    await until(async () => (await req(r, 'GET', `/v3/admin/volumes/${id}`)).body.volume.size === 2);
    assert.equal(await status(r, id), 'in-use');
    assert.equal(await iscsiSize(lunOf(a.info)), 2 * GiB);
    ok(await qemuIo(lunOf(a.info), 'read -P 0x11 0 1M'), 'the data is still there');
  },
);

/**
 * Debian's python3-openstacksdk drives Kindling in keystone mode through its block-storage proxy:
 * it authenticates with the real Keystone of scripts/keystone-up.sh as `demo`, then creates a
 * volume, waits for it, snapshots it, and deletes both. The endpoint is given to the SDK directly
 * (`block_storage_endpoint_override`), because the catalog names the Kindling the script was set
 * up for, not this test's own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { KindlingProcess } from './harness.js';
import { issueToken, keystoneUp, KS_PASSWORD, KS_URL, startKeystoneKindling } from './keystone-support.js';

const SDK = '/usr/lib/python3/dist-packages/openstack/__init__.py';

const skip = !existsSync(SDK)
  ? 'python3-openstacksdk is missing: apt-get install -y python3-openstacksdk (scripts/keystone-up.sh installs it)'
  : keystoneUp();

/** The SDK session: one JSON line per step on stdout. */
const SCRIPT = String.raw`
import json, sys, openstack
auth_url, password, endpoint = sys.argv[1:4]
conn = openstack.connect(auth_url=auth_url, username="demo", password=password, project_name="demo",
                         user_domain_name="Default", project_domain_name="Default",
                         region_name="RegionOne", identity_api_version="3",
                         block_storage_api_version="3", block_storage_endpoint_override=endpoint)
bs = conn.block_storage
def step(name, **kw):
    print(json.dumps({"step": name, **kw}), flush=True)
vol = bs.create_volume(size=1, name="sdk-vol")
step("create", id=vol.id, status=vol.status)
vol = bs.wait_for_status(vol, status="available", failures=["error"], interval=1, wait=120)
step("available", id=vol.id, status=vol.status, size=vol.size)
snap = bs.create_snapshot(volume_id=vol.id, name="sdk-snap")
snap = bs.wait_for_status(snap, status="available", failures=["error"], interval=1, wait=120)
step("snapshot", id=snap.id, status=snap.status, volume_id=snap.volume_id)
step("listed", volumes=[v.id for v in bs.volumes()], snapshots=[s.id for s in bs.snapshots()])
bs.delete_snapshot(snap)
bs.wait_for_delete(snap, interval=1, wait=120)
step("snapshot deleted", id=snap.id)
bs.delete_volume(vol)
bs.wait_for_delete(vol, interval=1, wait=120)
step("volume deleted", id=vol.id)
`;

function runPython(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    // NOTE: Debian's python: a pyenv python first on PATH would not have the SDK.
    const child = spawn('/usr/bin/python3', ['-c', SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

test(
  'openstacksdk: create, wait for available, snapshot, delete (keystone mode)',
  { skip, timeout: 600_000 },
  async (t) => {
    const k: KindlingProcess = await startKeystoneKindling();
    t.after(() => k.stop());
    const demo = await issueToken('demo');
    const run = await runPython([`${KS_URL}/v3`, KS_PASSWORD, `${k.url}/v3/${demo.projectId}`]);
    const steps = run.out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, any>);
    const diag = `exit ${run.code}\n${run.out}\n${run.err.slice(-3000)}\n${k.logs().slice(-3000)}`;
    assert.equal(run.code, 0, diag);
    assert.deepEqual(
      steps.map((s) => s.step),
      ['create', 'available', 'snapshot', 'listed', 'snapshot deleted', 'volume deleted'],
    );
    const [create, available, snapshot, listed] = steps as [any, any, any, any];
    assert.equal(create.status, 'creating');
    assert.equal(available.status, 'available');
    assert.equal(available.size, 1);
    assert.equal(snapshot.status, 'available');
    assert.equal(snapshot.volume_id, create.id);
    assert.ok(listed.volumes.includes(create.id));
    assert.ok(listed.snapshots.includes(snapshot.id));

    // What the SDK did is what Kindling holds: both gone, for the owner too.
    const headers = { 'x-auth-token': demo.token };
    const vol = await fetch(`${k.url}/v3/${demo.projectId}/volumes/${create.id}`, { headers });
    assert.equal(vol.status, 404);
    const snap = await fetch(`${k.url}/v3/${demo.projectId}/snapshots/${snapshot.id}`, { headers });
    assert.equal(snap.status, 404);
  },
);

/**
 * What docs/clients.md and the README say about the clients in noauth mode, checked against a real
 * `kindling serve` with the Debian clients:
 * - openstacksdk through keystoneauth's `admin_token` plugin (arguments, clouds.yaml, environment);
 * - `cinder type-access-add/remove`: a UUID project through the project-less endpoint works, a
 *   noauth id like `demo` is Cinder Zed's 400, and the endpoint with a project is a 400 because
 *   cinderclient makes `--project-id` the caller's project;
 * - `openstack quota set` and `volume type set --project` stop at their Keystone project lookup;
 * - `cinder backup-export` takes a backup id, not a name.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientSkipReason, kindlingForSuite, noauthEnv, runClient, waitFor } from './harness.js';
import { parseProperties, parseTable } from './prettytable.js';

const SDK = '/usr/lib/python3/dist-packages/openstack/__init__.py';
const PROJECT_B = '0b5a2e0c00004000800000000000000b';

/** A volume made, listed and deleted through the SDK, connected as `argv[1]` says. */
const SDK_SCRIPT = String.raw`
import json, sys, openstack
how, endpoint = sys.argv[1:3]
if how == "arguments":
    conn = openstack.connect(auth_type="admin_token", auth={"endpoint": endpoint, "token": "admin:admin"},
                             block_storage_endpoint_override=endpoint)
else:
    conn = openstack.connect(**({"cloud": "kindling"} if how == "clouds.yaml" else {}))
bs = conn.block_storage
vol = bs.create_volume(size=1, name="sdk-" + how)
vol = bs.wait_for_status(vol, status="available", failures=["error"], interval=0.5, wait=120)
status = vol.status
names = [v.name for v in bs.volumes()]
bs.delete_volume(vol)
bs.wait_for_delete(vol, interval=0.5, wait=120)
print(json.dumps({"status": status, "listed": "sdk-" + how in names}))
`;

function python(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    // NOTE: Debian's python with a clean environment: a pyenv python would not have the SDK.
    const child = spawn('/usr/bin/python3', ['-c', SDK_SCRIPT, ...args], {
      env: { PATH: '/usr/bin:/bin', HOME: tmpdir(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('noauth clients as docs/clients.md says', () => {
  const kindling = kindlingForSuite();

  test(
    'openstacksdk with admin_token: arguments, clouds.yaml and environment',
    {
      skip: existsSync(SDK)
        ? false
        : 'python3-openstacksdk is missing: apt-get install -y python3-openstacksdk',
    },
    async () => {
      const endpoint = `${kindling.url}/v3/admin`;
      const dir = mkdtempSync(join(tmpdir(), 'kindling-sdk-'));
      try {
        const clouds = join(dir, 'clouds.yaml');
        writeFileSync(
          clouds,
          `clouds:\n  kindling:\n    auth_type: admin_token\n    auth:\n      endpoint: ${endpoint}\n      token: admin:admin\n    block_storage_endpoint_override: ${endpoint}\n`,
        );
        const forms: [string, Record<string, string>][] = [
          ['arguments', {}],
          ['clouds.yaml', { OS_CLIENT_CONFIG_FILE: clouds }],
          ['environment', { OS_AUTH_TYPE: 'admin_token', OS_TOKEN: 'admin:admin', OS_ENDPOINT: endpoint }],
        ];
        for (const [how, env] of forms) {
          const r = await python([how, endpoint], env);
          assert.equal(r.code, 0, `${how}: ${r.out}`);
          assert.deepEqual(
            JSON.parse(r.out.trim().split('\n').at(-1)!),
            { status: 'available', listed: true },
            how,
          );
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  test(
    'cinder type-access-add/remove: a UUID through the project-less endpoint',
    { skip: clientSkipReason('cinder') },
    async () => {
      await runClient(kindling, 'cinder', ['type-create', '--is-public', 'false', 'privx']);
      const projectless: Record<string, string> = {
        ...noauthEnv('cinder', kindling.url),
        CINDER_ENDPOINT: `${kindling.url}/v3`,
      };
      const add = (project: string, env = projectless) =>
        runClient(
          kindling,
          'cinder',
          ['type-access-add', '--volume-type', 'privx', '--project-id', project],
          {
            env,
            expectOk: false,
          },
        );

      const demo = await add('demo');
      assert.equal(demo.code, 1);
      assert.match(
        demo.stderr,
        /Invalid input for field\/attribute project\. Value: demo\. 'demo' is not a 'uuid' \(HTTP 400\)/,
      );

      const withProject = await add(PROJECT_B, noauthEnv('cinder', kindling.url));
      assert.equal(withProject.code, 1);
      assert.match(withProject.stderr, /Malformed request url \(HTTP 400\)/);

      assert.equal((await add(PROJECT_B)).code, 0);
      const listed = parseTable(
        (await runClient(kindling, 'cinder', ['type-access-list', '--volume-type', 'privx'])).stdout,
      );
      assert.deepEqual(
        listed.rows.map((r) => r.Project_ID),
        [PROJECT_B],
      );
      await runClient(
        kindling,
        'cinder',
        ['type-access-remove', '--volume-type', 'privx', '--project-id', PROJECT_B],
        {
          env: projectless,
        },
      );
      const after = parseTable(
        (await runClient(kindling, 'cinder', ['type-access-list', '--volume-type', 'privx'])).stdout,
      );
      assert.deepEqual(after.rows, []);
    },
  );

  test(
    'openstack quota set and volume type set --project stop at the Keystone project lookup',
    { skip: clientSkipReason('openstack') },
    async () => {
      const quota = await runClient(kindling, 'openstack', ['quota', 'set', '--volumes', '5', 'admin'], {
        expectOk: false,
      });
      assert.equal(quota.code, 1);
      assert.match(quota.stderr, /No project with a name or ID of 'admin' exists\./);
      await runClient(kindling, 'openstack', ['volume', 'type', 'create', '--private', 'privo']);
      const access = await runClient(
        kindling,
        'openstack',
        ['volume', 'type', 'set', '--project', PROJECT_B, 'privo'],
        {
          expectOk: false,
        },
      );
      assert.notEqual(access.code, 0);
      assert.match(access.stderr, new RegExp(`No project with a name or ID of '${PROJECT_B}' exists\\.`));
      // the ways the README gives instead
      await runClient(kindling, 'openstack', ['quota', 'set', '--class', '--volumes', '7', 'default']);
      await runClient(kindling, 'cinder', ['quota-update', '--volumes', '6', 'admin']);
    },
  );

  test(
    'cinder backup-export takes the backup id, not its name',
    { skip: clientSkipReason('cinder') },
    async () => {
      const cinder = (args: string[], expectOk = true) => runClient(kindling, 'cinder', args, { expectOk });
      await cinder(['create', '1', '--name', 'bvol']);
      await waitFor(
        'bvol available',
        async () =>
          parseProperties((await cinder(['show', 'bvol'])).stdout).status === 'available' ? true : undefined,
        60_000,
      );
      const id = parseProperties((await cinder(['backup-create', '--name', 'nightly', 'bvol'])).stdout).id!;
      await waitFor(
        'backup available',
        async () =>
          parseProperties((await cinder(['backup-show', 'nightly'])).stdout).status === 'available'
            ? true
            : undefined,
        60_000,
      );
      const byName = await cinder(['backup-export', 'nightly'], false);
      assert.equal(byName.code, 1);
      assert.match(byName.stderr, /Backup nightly could not be found\. \(HTTP 404\)/);
      const byId = parseProperties((await cinder(['backup-export', id])).stdout);
      assert.equal(byId.backup_service, 'cinder.backup.drivers.posix.PosixBackupDriver');
    },
  );
});

/**
 * `kindling manage`: every command's `--help` (src/cmd/manage.ts), `backup list`
 * (src/cmd/manage/backup.ts) and `config list` with its masking (src/cmd/manage/config.ts), in
 * process on a real SQLite state directory; and the same command line through the `kindling`
 * binary (help, an unknown command, a config file).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runManage } from '../../src/cmd/manage.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/connection.js';
import { formatTimestamp } from '../../src/common/time.js';
import { baseServerEnv, REPO_ROOT, waitForExit } from '../support/server-process.js';

async function manage(config: Config, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runManage(argv, { config, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

const root = mkdtempSync(join(tmpdir(), 'kindling-manage-cmds-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A configuration whose database cannot be opened: commands that need none must not try. */
const noDatabase = loadConfig({
  env: { KINDLING__database__connection: 'sqlite:////nonexistent-kindling-dir/never.sqlite' },
});

describe('kindling manage --help', () => {
  const help = async (...argv: string[]) => {
    const r = await manage(noDatabase, ...argv, '--help');
    assert.equal(r.code, 0, argv.join(' '));
    assert.deepEqual(r.err, []);
    return r.out.join('\n');
  };

  test('manage itself lists every category and every action with its arguments', async () => {
    const text = await help();
    assert.match(text, /^usage: kindling manage \[options\] \[command\]/);
    assert.match(text, /--config-file <path>/);
    for (const action of [
      'db sync',
      'db version',
      'db purge [options] <age_in_days>',
      'service list',
      'service remove [options] <binary> <host_name>',
      'volume delete [options] <volume_id>',
      'volume update_host [options]',
      'quota check [options]',
      'quota sync [options]',
      'backup list',
      'config list [options] [section] [option]',
    ])
      assert.ok(text.includes(`  kindling manage ${action}`), action);
    assert.equal((await manage(noDatabase, 'help')).code, 0);
    assert.equal((await manage(noDatabase, '-h')).code, 0);
  });

  test('each action lists its arguments and options', async () => {
    const expect: [string[], RegExp[]][] = [
      [
        ['db', 'purge'],
        [
          /^usage: kindling manage db purge \[options\] <age_in_days>/,
          /age_in_days\s+purge deleted rows older than age in days/,
        ],
      ],
      [
        ['volume', 'delete'],
        [
          /^usage: kindling manage volume delete \[options\] <volume_id>/,
          /volume_id\s+volume ID to be deleted/,
        ],
      ],
      [
        ['volume', 'update_host'],
        [/--currenthost <host>/, /--newhost <host>/],
      ],
      [
        ['service', 'remove'],
        [/<binary> <host_name>/, /--force/],
      ],
      [['service', 'list'], [/Cluster/]],
      [
        ['quota', 'check'],
        [/--project-id <id>/, /--action <action>[\s\S]*choices: "check",\s+"sync", default: "check"/],
      ],
      [['quota', 'sync'], [/--project-id <id>/]],
      [['backup', 'list'], [/Object Count/]],
      [
        ['config', 'list'],
        [/\[section\]/, /\[option\]/, /\*\*\*\*/],
      ],
      [['db'], [/sync/, /version/, /purge <age_in_days>/]],
      [['volume'], [/delete <volume_id>/, /update_host/]],
    ];
    for (const [argv, patterns] of expect) {
      const text = await help(...argv);
      for (const p of patterns) assert.match(text, p, `${argv.join(' ')} --help: ${p}`);
    }
  });

  test('command line errors: the error, then the usage line, exit 2, no database opened', async () => {
    const unknown = await manage(noDatabase, 'frobnicate');
    assert.equal(unknown.code, 2);
    assert.deepEqual(unknown.err, [
      "error: unknown command 'frobnicate'",
      'usage: kindling manage [options] [command]',
    ]);
    const missing = await manage(noDatabase, 'volume', 'delete');
    assert.equal(missing.code, 2);
    assert.deepEqual(missing.err, [
      "error: missing required argument 'volume_id'",
      'usage: kindling manage volume delete [options] <volume_id>',
    ]);
    const noAction = await manage(noDatabase, 'backup');
    assert.equal(noAction.code, 2, 'a category without its action: help, exit 2 (argparse)');
    assert.equal((await manage(noDatabase, 'volume', 'delete', 'a', 'b')).code, 2);
  });
});

describe('kindling manage backup list', () => {
  let h: DatabaseHandle;
  const config = loadConfig({ env: { KINDLING_STATE_DIR: join(root, 'backups') } });
  before(async () => {
    assert.equal((await manage(config, 'db', 'sync')).code, 0);
    h = await openDatabase(config.database.connection);
  });
  after(() => h?.close());

  test('cinder-manage’s columns and format, newest first; deleted backups left out', async () => {
    const backup = (id: string, created: string, over: Record<string, unknown>) => ({
      id,
      volume_id: randomUUID(),
      user_id: 'user-1',
      project_id: 'project-1',
      host: 'node1',
      availability_zone: null,
      display_name: 'nightly',
      display_description: null,
      container: 'backups',
      status: 'available',
      fail_reason: null,
      service_metadata: null,
      service: null,
      size: 2,
      object_count: 3,
      parent_id: null,
      temp_volume_id: null,
      temp_snapshot_id: null,
      num_dependent_backups: 0,
      snapshot_id: null,
      data_timestamp: null,
      restore_volume_id: null,
      encryption_key_id: null,
      created_at: created,
      updated_at: null,
      deleted_at: null,
      deleted: 0 as const,
      ...over,
    });
    const older = randomUUID();
    const newer = randomUUID();
    await h.db
      .insertInto('backups')
      .values([
        backup(older, formatTimestamp(new Date(Date.now() - 60_000)), {}),
        backup(newer, formatTimestamp(new Date()), {
          host: null,
          display_name: null,
          container: null,
          status: 'creating',
          object_count: null,
        }),
        backup(randomUUID(), formatTimestamp(new Date()), { deleted: 1 }),
      ])
      .execute();
    const r = await manage(config, 'backup', 'list');
    assert.equal(r.code, 0);
    const row = (cells: string[]) =>
      cells.map((c, i) => c.padEnd([32, 32, 32, 24, 24, 12, 12, 12, 12][i]!)).join('\t');
    assert.deepEqual(r.out, [
      row(['ID', 'User ID', 'Project ID', 'Host', 'Name', 'Container', 'Status', 'Size', 'Object Count']),
      row([newer, 'user-1', 'project-1', 'None', 'None', 'None', 'creating', '2', '0']),
      row([older, 'user-1', 'project-1', 'node1', 'nightly', 'backups', 'available', '2', '3']),
    ]);
  });
});

describe('kindling manage config list', () => {
  const conf = join(root, 'secrets.conf');
  writeFileSync(
    conf,
    `[DEFAULT]
transport_url = rabbit://kindling:rabbit-secret@ctl:5672,kindling:other-secret@ctl2:5672/
enabled_backends = fast
debug = true
[database]
connection = postgresql://kindling:db-secret@ctl/kindling
[keystone_authtoken]
password = ks-secret
username = kindling
[fast]
volume_driver = file
use_chap_auth = true
chap_username = chapuser
chap_password = chap-secret
[backend_defaults]
target_port = 3261
`,
  );
  const config = loadConfig({ files: [conf], env: { KINDLING_STATE_DIR: join(root, 'config') } });

  test('every section in effect, defaults included, without opening the database; secrets masked', async () => {
    const r = await manage(config, 'config', 'list');
    assert.equal(r.code, 0, r.err.join('\n'));
    const text = r.out.join('\n');
    for (const secret of ['rabbit-secret', 'other-secret', 'db-secret', 'ks-secret', 'chap-secret'])
      assert.ok(!text.includes(secret), `${secret} is masked`);
    for (const line of [
      '[DEFAULT]',
      'transport_url = rabbit://kindling:****@ctl:5672,kindling:****@ctl2:5672/',
      "enabled_backends = ['fast']",
      'debug = True',
      'cluster = None',
      'osapi_volume_listen_port = 8776',
      'capacity_weight_multiplier = 1.0',
      'backup_driver = posix',
      `backup_posix_path = ${join(root, 'config')}/backup`,
      '[database]',
      'connection = postgresql://kindling:****@ctl/kindling',
      'max_pool_size = 5',
      '[oslo_messaging_rabbit]',
      'publish_timeout = 60',
      '[keystone_authtoken]',
      'password = ****',
      'username = kindling',
      'token_cache_time = 300',
      '[fast]',
      'volume_driver = file',
      'volume_backend_name = fast',
      'chap_username = chapuser',
      'chap_password = ****',
      'target_port = 3261',
    ])
      assert.ok(r.out.includes(line), `${line} in the listing`);
    assert.equal(r.out[0], '[DEFAULT]');
    assert.equal(r.out.filter((l) => l === '').length, r.out.filter((l) => l.startsWith('[')).length - 1);
  });

  test('one section, one option, an option of [DEFAULT] alone (cinder-manage’s form); unknown ones exit 1', async () => {
    const section = await manage(config, 'config', 'list', 'database');
    assert.deepEqual(section.out, [
      '[database]',
      'connection = postgresql://kindling:****@ctl/kindling',
      'max_pool_size = 5',
    ]);
    assert.deepEqual((await manage(config, 'config', 'list', 'keystone_authtoken', 'password')).out, [
      'password = ****',
    ]);
    assert.deepEqual((await manage(config, 'config', 'list', 'DEFAULT', 'host')).out, [
      `host = ${hostname()}`,
    ]);
    assert.deepEqual((await manage(config, 'config', 'list', 'host')).out, [`host = ${hostname()}`]);
    assert.deepEqual((await manage(config, 'config', 'list', 'FAST', 'target_port')).out, [
      'target_port = 3261',
    ]);
    const noSection = await manage(config, 'config', 'list', 'nowhere', 'x');
    assert.equal(noSection.code, 1);
    assert.match(noSection.err[0]!, /^No section \[nowhere\]: sections are DEFAULT, database, /);
    const noOption = await manage(config, 'config', 'list', 'database', 'nope');
    assert.deepEqual(noOption, { code: 1, out: [], err: ['No option nope in section [database]'] });
    assert.equal((await manage(config, 'config', 'list', 'nope')).code, 1);
  });
});

describe('kindling manage through the kindling binary', () => {
  async function kindling(
    ...args: string[]
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cmd/kindling.ts', ...args], {
      cwd: REPO_ROOT,
      env: { ...baseServerEnv(), KINDLING_STATE_DIR: join(root, 'cli') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    assert.ok(await waitForExit(child, 60_000), 'kindling exited');
    return { code: child.exitCode, stdout, stderr };
  }

  test('a subcommand’s --help, an unknown command, config list with --config-file after the action', async () => {
    const conf = join(root, 'cli.conf');
    writeFileSync(conf, '[keystone_authtoken]\npassword = cli-secret\n');
    const [help, unknown, config] = await Promise.all([
      kindling('manage', 'volume', 'delete', '--help'),
      kindling('manage', 'volumes', 'list'),
      kindling('manage', 'config', 'list', 'keystone_authtoken', 'password', '--config-file', conf),
    ]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: kindling manage volume delete \[options\] <volume_id>\n/);
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /^error: unknown command 'volumes'\n\(Did you mean volume\?\)\nusage: kindling manage \[options\] \[command\]\n$/,
    );
    assert.deepEqual(config, { code: 0, stdout: 'password = ****\n', stderr: '' });
  });
});

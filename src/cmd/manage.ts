/**
 * `kindling manage …`: the operator commands of `cinder-manage` that concern Kindling.
 *
 *   db sync                                       migrate the schema to the newest version
 *   db version                                    print the newest applied migration
 *   service list                                  services with state (`:-)` up, `XXX` down)
 *   service remove <binary> <host> [--force]      soft-delete a service row
 *   volume update_host --currenthost H --newhost N   move volumes to another host@backend#pool
 *   quota check [--project-id P] [--action check|sync]   recount usage; `sync` also fixes it
 *   quota sync [--project-id P]                   same as `quota check --action sync`
 *
 * `runManage` never exits the process: it prints through `out`/`err` and returns the exit code.
 */
import type { Config } from '../config/index.js';
import { newUuid } from '../common/uuid.js';
import { openDatabase, type DatabaseHandle } from '../db/connection.js';
import { databaseOptionsFromConfig } from '../db/database-options.js';
import { currentVersion, migrateToLatest } from '../db/migrator.js';
import type { SeedValues } from '../db/migrations/001-initial.js';
import { serviceDestroy, serviceGetAll, serviceIsUp } from '../db/api/services.js';
import { volumeUpdateHost } from '../db/api/volumes.js';
import { quotaUsageCheckProject, quotaUsageProjects } from '../db/api/quota-usages.js';
import { quotaDefaults } from '../service/core.js';

/** Where `runManage` reads config and writes its output. */
export interface ManageOptions {
  config: Config;
  /** One line of normal output (default: stdout). */
  out?: (line: string) => void;
  /** One line of error output (default: stderr). */
  err?: (line: string) => void;
}

interface Io {
  config: Config;
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Thrown for a command line that cannot be run; printed with the usage, exit code 2. */
class UsageError extends Error {}

const USAGE = [
  'usage: kindling manage <category> <action> [<args>]',
  '  db sync | db version',
  '  service list | service remove <binary> <host> [--force]',
  '  volume update_host --currenthost <host@backend#pool> --newhost <host@backend#pool>',
  '  quota check [--project-id <id>] [--action check|sync] | quota sync [--project-id <id>]',
];

/** Splits `--name value` / `--name=value` options (and bare `--flag`s) from positionals. */
function parseArgs(
  args: readonly string[],
  flags: readonly string[],
  valued: readonly string[],
): { positional: string[]; opts: Record<string, string | true> } {
  const positional: string[] = [];
  const opts: Record<string, string | true> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = (eq >= 0 ? a.slice(2, eq) : a.slice(2)).replace(/-/g, '_');
    if (flags.includes(name) && eq < 0) opts[name] = true;
    else if (valued.includes(name)) {
      const v = eq >= 0 ? a.slice(eq + 1) : args[++i];
      if (v === undefined) throw new UsageError(`option --${name.replace(/_/g, '-')} needs a value`);
      opts[name] = v;
    } else throw new UsageError(`unknown option ${a}`);
  }
  return { positional, opts };
}

function seedValues(config: Config): SeedValues {
  return { defaultVolumeTypeId: newUuid(), quotaClassDefaults: quotaDefaults(config) };
}

/** `2024-01-01T10:00:00.000000` → `2024-01-01 10:00:00`, as cinder-manage prints datetimes. */
function shortTime(ts: string | null): string {
  return ts ? ts.slice(0, 19).replace('T', ' ') : '';
}

/** Rows as left-aligned columns, each at least `widths[i]` wide (cinder-manage's `%-Ns`). */
function columns(rows: readonly string[][], widths: readonly number[]): string[] {
  const w = widths.map((min, i) => Math.max(min, ...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(w[i]!))
      .join(' ')
      .trimEnd(),
  );
}

async function dbSync(h: DatabaseHandle, io: Io): Promise<number> {
  const res = await migrateToLatest(h, seedValues(io.config));
  for (const r of res.results ?? [])
    io.out(
      `${r.migrationName}: ${r.status === 'Success' ? 'applied' : r.status === 'Error' ? 'FAILED' : 'not run'}`,
    );
  if (res.error) {
    io.err(
      `Database migration failed: ${res.error instanceof Error ? res.error.message : JSON.stringify(res.error)}`,
    );
    return 1;
  }
  const version = await currentVersion(h, seedValues(io.config));
  if (!res.results?.length) io.out(`Database already at the newest version: ${version ?? 'None'}`);
  else io.out(`Database now at version ${version ?? 'None'}`);
  return 0;
}

async function serviceList(h: DatabaseHandle, io: Io): Promise<number> {
  const header = [
    'Binary',
    'Host',
    'Zone',
    'Status',
    'State',
    'Updated At',
    'RPC Version',
    'Object Version',
    'Cluster',
  ];
  const rows = (await serviceGetAll(h.db)).map((s) => [
    s.binary,
    s.host,
    s.availability_zone,
    s.disabled ? 'disabled' : 'enabled',
    serviceIsUp(s, io.config.DEFAULT.service_down_time) ? ':-)' : 'XXX',
    shortTime(s.updated_at ?? s.created_at),
    // NOTE: Kindling services do not record RPC/object versions; the columns stay for scripts.
    '',
    '',
    s.cluster_name ?? '',
  ]);
  for (const line of columns([header, ...rows], [16, 36, 16, 10, 5, 20, 12, 15, 36])) io.out(line);
  return 0;
}

async function serviceRemove(h: DatabaseHandle, io: Io, args: string[], force: boolean): Promise<number> {
  const [binary = '', host = ''] = args;
  const row = (await serviceGetAll(h.db, { binary, host })).find(
    (s) => s.host === host && s.binary === binary,
  );
  if (!row) {
    io.err(`No service ${binary} on host ${host}; nothing removed.`);
    return 2;
  }
  // NOTE: cinder-manage removes even a running service (Cinder's service then re-creates its row at
  // the next report). Kindling's heartbeat does not, so a running service would silently vanish
  // from scheduling: refuse unless --force.
  if (!force && serviceIsUp(row, io.config.DEFAULT.service_down_time)) {
    io.err(`Service ${binary} on host ${host} is up; stop it first (or pass --force).`);
    return 1;
  }
  await serviceDestroy(h.db, row.id);
  io.out(`Service ${binary} on host ${host} removed.`);
  return 0;
}

async function volumeMove(h: DatabaseHandle, io: Io, from: string, to: string): Promise<number> {
  const n = await volumeUpdateHost(h.db, from, to);
  io.out(`Moved ${n} volume(s) from ${from} to ${to}.`);
  return 0;
}

async function quotaCheck(
  h: DatabaseHandle,
  io: Io,
  projectId: string | undefined,
  fix: boolean,
): Promise<number> {
  const projects = await quotaUsageProjects(h.db, projectId);
  if (projectId && !projects.length) {
    io.out(`Project ${projectId} has no quota usage rows; nothing to check.`);
    return 0;
  }
  let found = 0;
  for (const p of projects) {
    io.out(`Checking quota usage of project ${p}`);
    const r = await quotaUsageCheckProject(h, p, fix);
    for (const d of r.discrepancies)
      io.out(`  ${d.resource}: ${d.field} is ${d.saved}, should be ${d.actual}${fix ? ' (fixed)' : ''}`);
    for (const u of r.unknown) io.out(`  ${u}: not a known resource, left alone`);
    found += r.discrepancies.length;
  }
  const what = fix ? 'fixed' : 'found';
  io.out(`Checked ${projects.length} project(s): ${found} difference(s) ${what}.`);
  // NOTE: exit 1 when a check (not a sync) finds differences, so scripts can tell.
  return !fix && found > 0 ? 1 : 0;
}

type Action = (h: DatabaseHandle) => Promise<number>;

/** The command `argv` names, checked before any database is opened. */
function parse(io: Io, argv: readonly string[]): Action {
  const [category, action, ...rest] = argv;
  const cmd = `${category ?? ''} ${action ?? ''}`.trim();
  switch (cmd) {
    case 'db sync':
      parseArgs(rest, [], []);
      return (h) => dbSync(h, io);
    case 'db version':
      parseArgs(rest, [], []);
      return async (h) => {
        io.out((await currentVersion(h, seedValues(io.config))) ?? 'None');
        return 0;
      };
    case 'service list':
      parseArgs(rest, [], []);
      return (h) => serviceList(h, io);
    case 'service remove': {
      const { positional, opts } = parseArgs(rest, ['force'], []);
      if (positional.length !== 2) throw new UsageError('service remove needs <binary> <host>');
      return (h) => serviceRemove(h, io, positional, opts.force === true);
    }
    case 'volume update_host': {
      const { positional, opts } = parseArgs(rest, [], ['currenthost', 'newhost']);
      if (positional.length) throw new UsageError(`unexpected argument ${positional[0]}`);
      const from = opts.currenthost;
      const to = opts.newhost;
      if (typeof from !== 'string' || typeof to !== 'string' || !from || !to)
        throw new UsageError('volume update_host needs --currenthost and --newhost');
      return (h) => volumeMove(h, io, from, to);
    }
    case 'quota check':
    case 'quota sync': {
      const { positional, opts } = parseArgs(rest, [], ['project_id', 'action']);
      if (positional.length) throw new UsageError(`unexpected argument ${positional[0]}`);
      const act = action === 'sync' ? 'sync' : (opts.action ?? 'check');
      if (act !== 'check' && act !== 'sync') throw new UsageError('--action is check or sync');
      const pid = typeof opts.project_id === 'string' ? opts.project_id : undefined;
      return (h) => quotaCheck(h, io, pid, act === 'sync');
    }
  }
  throw new UsageError(cmd ? `unknown command: ${cmd}` : 'no command given');
}

/**
 * Runs one `kindling manage` command line (`argv` after `manage`, e.g. `['db', 'sync']`) against
 * the database of `config`. Returns the exit code: 0 ok, 1 failed (or a check found differences),
 * 2 bad command line / service not found.
 */
export async function runManage(argv: readonly string[], options: ManageOptions): Promise<number> {
  const io: Io = {
    config: options.config,
    out: options.out ?? ((l) => process.stdout.write(`${l}\n`)),
    err: options.err ?? ((l) => process.stderr.write(`${l}\n`)),
  };
  if (argv.length === 0 || argv[0] === 'help' || argv.includes('--help') || argv.includes('-h')) {
    for (const l of USAGE) io.out(l);
    return argv.length === 0 ? 2 : 0;
  }
  let action: Action;
  try {
    action = parse(io, argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(e.message);
    for (const l of USAGE) io.err(l);
    return 2;
  }
  let h: DatabaseHandle | undefined;
  try {
    h = await openDatabase(io.config.database.connection, databaseOptionsFromConfig(io.config));
    return await action(h);
  } catch (e) {
    io.err(e instanceof Error ? e.message : String(e));
    if (argv[0] !== 'db') io.err('The database may not be created yet: run `kindling manage db sync` first.');
    return 1;
  } finally {
    await h?.close();
  }
}

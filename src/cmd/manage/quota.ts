/** `kindling manage quota check|sync`: recount quota usage from the tables, as Cinder's sync functions. */
import { Option, type Command } from 'commander';
import type { DatabaseHandle } from '../../db/connection.js';
import { quotaUsageCheckProject, quotaUsageProjects } from '../../db/api/quota-usages.js';
import type { Io, Select } from './common.js';

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

interface QuotaOpts {
  projectId?: string;
  project_id?: string;
  action?: string;
}

/** `--project-id` (and `--project_id`, which Kindling has always taken too). */
function projectOptions(cmd: Command): Command {
  return cmd
    .option('--project-id <id>', 'the project to check (default: every project with quota usage rows)')
    .addOption(new Option('--project_id <id>').hideHelp());
}

/** Adds `quota check|sync` under `parent`. */
export function addQuotaCommands(parent: Command, io: Io, select: Select): void {
  const quota = parent.command('quota').description('quota usage and reservations');
  const run = (opts: QuotaOpts, fix: boolean) => {
    const pid = opts.projectId ?? opts.project_id;
    select({ database: true, run: (h) => quotaCheck(h, io, pid, fix) });
  };
  projectOptions(
    quota
      .command('check')
      .description(
        'recount every quota resource from the tables and list the differences (exit 1 when there are some); --action sync fixes them',
      ),
  )
    .addOption(
      new Option('--action <action>', 'check: only list the differences; sync: also fix them')
        .choices(['check', 'sync'])
        .default('check'),
    )
    .action((opts: QuotaOpts) => run(opts, opts.action === 'sync'));
  projectOptions(quota.command('sync').description('recount and fix (quota check --action sync)'))
    .addOption(new Option('--action <action>').choices(['check', 'sync']).hideHelp())
    .action((opts: QuotaOpts) => run(opts, true));
}

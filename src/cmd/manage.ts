/**
 * `kindling manage …`: the operator commands of `cinder-manage` that concern Kindling, on
 * commander subcommands (every command's `--help` lists its arguments and options):
 *
 *   db sync | db version | db purge <age_in_days>                  src/cmd/manage/db.ts
 *   service list | service remove <binary> <host_name> [--force]   src/cmd/manage/service.ts
 *   volume delete <volume_id> | volume update_host --currenthost H --newhost N
 *                                                                  src/cmd/manage/volume.ts
 *   quota check [--project-id P] [--action check|sync] | quota sync [--project-id P]
 *                                                                  src/cmd/manage/quota.ts
 *   backup list                                                    src/cmd/manage/backup.ts
 *   config list [section] [option]                                 src/cmd/manage/config.ts
 *
 * `runManage` never exits the process: it prints through `out`/`err` and returns the exit code.
 */
import { Command, CommanderError, Help } from 'commander';
import type { Config } from '../config/index.js';
import { openDatabase, type DatabaseHandle } from '../db/connection.js';
import { databaseOptionsFromConfig } from '../db/database-options.js';
import { ManageError, type Io, type ManageAction } from './manage/common.js';
import { addBackupCommands } from './manage/backup.js';
import { addConfigCommands } from './manage/config.js';
import { addDbCommands } from './manage/db.js';
import { addQuotaCommands } from './manage/quota.js';
import { addServiceCommands } from './manage/service.js';
import { addVolumeCommands } from './manage/volume.js';

/** Where `runManage` reads config and writes its output. */
export interface ManageOptions {
  config: Config;
  /** One line of normal output (default: stdout). */
  out?: (line: string) => void;
  /** One line of error output (default: stderr). */
  err?: (line: string) => void;
}

/** Text commander writes, as lines (without the final newline). */
function lines(write: (line: string) => void): (text: string) => void {
  return (text) => {
    for (const line of text.replace(/\n$/, '').split('\n')) write(line);
  };
}

/** `kindling manage volume delete [options] <volume_id>`. */
function usageOf(cmd: Command): string {
  return new Help().commandUsage(cmd);
}

/** Every command under `cmd`, depth first. */
function commandsUnder(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...commandsUnder(c)]);
}

/**
 * The command tree: argparse's look (`usage: …`, errors followed by the usage line, exit code 2)
 * on commander. Each action hands what to run to `select`; nothing runs while parsing.
 */
function buildProgram(io: Io, select: (action: ManageAction) => void): Command {
  const program = new Command('kindling manage')
    .description("operator commands (cinder-manage's)")
    .option('--config-file <path>', 'cinder.conf-style file (repeatable; later files win)')
    .exitOverride()
    .configureOutput({ writeOut: lines(io.out), writeErr: lines(io.err) })
    .configureHelp({
      helpWidth: 100,
      formatHelp(cmd, helper) {
        return Help.prototype.formatHelp.call(this, cmd, helper).replace(/^Usage:/, 'usage:');
      },
    });
  for (const add of [
    addDbCommands,
    addServiceCommands,
    addVolumeCommands,
    addQuotaCommands,
    addBackupCommands,
    addConfigCommands,
  ])
    add(program, io, select);
  for (const c of commandsUnder(program)) c.showHelpAfterError(`usage: ${usageOf(c)}`);
  const actions = commandsUnder(program)
    .filter((c) => !c.commands.length)
    .map((c) => `  ${usageOf(c)}`);
  program.showHelpAfterError(`usage: ${usageOf(program)}`);
  program.addHelpText('after', `\nActions (each has --help):\n${actions.join('\n')}`);
  return program;
}

/**
 * Runs one `kindling manage` command line (`argv` after `manage`, e.g. `['db', 'sync']`) against
 * the configuration (and database) of `config`. Returns the exit code: 0 ok; 1 failed (or a check
 * found differences); 2 a bad command line (usage on `err`, nothing opened) or a service not found.
 */
export async function runManage(argv: readonly string[], options: ManageOptions): Promise<number> {
  const io: Io = {
    config: options.config,
    out: options.out ?? ((l) => process.stdout.write(`${l}\n`)),
    err: options.err ?? ((l) => process.stderr.write(`${l}\n`)),
  };
  let action: ManageAction | undefined;
  try {
    buildProgram(io, (a) => (action = a)).parse([...argv], { from: 'user' });
  } catch (e) {
    // --help and `help` exit 0; every command line error exits 2, as argparse.
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof ManageError) {
      io.err(e.message);
      return 1;
    }
    throw e;
  }
  if (!action) return 2;
  let h: DatabaseHandle | undefined;
  try {
    if (!action.database) return await action.run();
    h = await openDatabase(io.config.database.connection, databaseOptionsFromConfig(io.config));
    return await action.run(h);
  } catch (e) {
    if (e instanceof ManageError) {
      io.err(e.message);
      return 1;
    }
    io.err(e instanceof Error ? e.message : String(e));
    if (argv[0] !== 'db') io.err('The database may not be created yet: run `kindling manage db sync` first.');
    return 1;
  } finally {
    await h?.close();
  }
}

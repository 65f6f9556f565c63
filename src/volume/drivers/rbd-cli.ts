/**
 * Runs Ceph's `rbd` and `ceph` command-line tools for the RBD driver. No maintained Node binding of
 * librados/librbd exists, and the CLIs are thin over them: one process per call (~30 ms for `rbd`,
 * ~300 ms for the Python `ceph`), JSON output (`--format json`) for every command that prints, and
 * the errno of the failed library call as the exit status, which is mapped here to typed errors.
 *
 * Every call carries the backend's `--cluster`/`--conf`/`--id`/`--keyring`, a connect timeout (a
 * client otherwise waits minutes for an absent monitor), and a wall-clock limit after which the
 * process is SIGKILLed (a client blocked on a dead OSD ignores SIGTERM).
 */
import { execFile } from 'node:child_process';
import { debuglog } from 'node:util';
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
} from '../../common/errors.js';

const debug = debuglog('kindling-rbd');

/** How to reach the cluster, and how long to wait. */
export interface CephCliOptions {
  /** `--cluster` (rbd_cluster_name). */
  readonly cluster: string;
  /** `--conf` (rbd_ceph_conf); empty: Ceph's default for the cluster name. */
  readonly conf: string;
  /** `--id` (rbd_user); null: client.admin. */
  readonly user: string | null;
  /** `--keyring`; null: the one the configuration names. */
  readonly keyring: string | null;
  /** Seconds to wait for a monitor connection (`client_mount_timeout`, `ceph --connect-timeout`). */
  readonly connectTimeoutSeconds: number;
  /** When set, also each monitor and OSD operation's timeout (Cinder's rados_connect_timeout >= 0). */
  readonly opTimeoutSeconds: number | null;
  /** Wall-clock limit of a metadata command, ms; data commands get ten times as long. */
  readonly commandTimeoutMs: number;
}

/** Commands that move data and may legitimately take long on big images. */
export type CommandKind = 'metadata' | 'data';

const ERRNO_ERRORS: Readonly<Record<number, typeof RbdCommandError>> = {
  2: RbdImageNotFound, // ENOENT
  13: RbdPermissionDenied, // EACCES
  16: RbdImageBusy, // EBUSY
  17: RbdImageExists, // EEXIST
  22: RbdInvalidArgument, // EINVAL
  28: RbdNoSpace, // ENOSPC
  39: RbdImageHasSnapshots, // ENOTEMPTY
  110: CephUnreachable, // ETIMEDOUT
  122: RbdNoSpace, // EDQUOT
};

/**
 * The typed error for a failed command. Exit status 1 is both EPERM and the tools' plain failure
 * (bad arguments; the Python `ceph` tool's "timed out"): it is told apart by the text.
 */
export function commandError(command: string, errno: number | null, stderr: string): RbdCommandError {
  if (errno === 1) {
    if (/timed out|error connecting to the cluster|ETIMEDOUT/i.test(stderr))
      return new CephUnreachable(command, errno, stderr);
    if (/Operation not permitted|EPERM/.test(stderr)) return new RbdPermissionDenied(command, errno, stderr);
  }
  const Cls = errno === null ? RbdCommandError : (ERRNO_ERRORS[errno] ?? RbdCommandError);
  return new Cls(command, errno, stderr);
}

/** The `rbd` and `ceph` tools with one backend's connection arguments. */
export class CephCli {
  readonly #o: CephCliOptions;
  readonly #rbdBin: string;
  readonly #cephBin: string;

  constructor(options: CephCliOptions, bins: { rbd?: string; ceph?: string } = {}) {
    this.#o = options;
    this.#rbdBin = bins.rbd ?? 'rbd';
    this.#cephBin = bins.ceph ?? 'ceph';
  }

  /** `--cluster`/`--conf`/`--id`/`--keyring`, as Cinder's `_ceph_args` (plus the keyring). */
  #connectionArgs(): string[] {
    const o = this.#o;
    return [
      '--cluster',
      o.cluster,
      ...(o.conf ? ['--conf', o.conf] : []),
      ...(o.user ? ['--id', o.user] : []),
      ...(o.keyring ? ['--keyring', o.keyring] : []),
    ];
  }

  #timeoutArgs(): string[] {
    const o = this.#o;
    const op = o.opTimeoutSeconds;
    return [
      `--client_mount_timeout=${o.connectTimeoutSeconds}`,
      ...(op === null ? [] : [`--rados_mon_op_timeout=${op}`, `--rados_osd_op_timeout=${op}`]),
    ];
  }

  /** Runs `rbd <args>` (add `--no-progress` to data commands); resolves with its stdout. */
  rbd(args: readonly string[], kind: CommandKind = 'metadata'): Promise<string> {
    return this.#run(this.#rbdBin, [...this.#connectionArgs(), ...this.#timeoutArgs(), ...args], args, kind);
  }

  /**
   * The full argv of `rbd <args>` with this backend's connection and timeout arguments, for a
   * command another process runs (the backup service streams `rbd export`/`import-diff` itself).
   */
  rbdArgv(args: readonly string[]): string[] {
    return [this.#rbdBin, ...this.#connectionArgs(), ...this.#timeoutArgs(), ...args];
  }

  /** Runs `rbd <args> --format json` and parses what it prints. */
  async rbdJson<T>(args: readonly string[]): Promise<T> {
    return parseJson<T>(await this.rbd([...args, '--format', 'json']), `rbd ${args.join(' ')}`);
  }

  /** Runs `ceph <args> --format json` and parses what it prints. */
  async cephJson<T>(args: readonly string[]): Promise<T> {
    const full = [
      ...this.#connectionArgs(),
      `--connect-timeout=${this.#o.connectTimeoutSeconds}`,
      ...this.#timeoutArgs(),
      ...args,
      '--format',
      'json',
    ];
    return parseJson<T>(await this.#run(this.#cephBin, full, args, 'metadata'), `ceph ${args.join(' ')}`);
  }

  #run(bin: string, argv: string[], shown: readonly string[], kind: CommandKind): Promise<string> {
    const command = `${bin} ${shown.join(' ')}`;
    const timeout = kind === 'data' ? this.#o.commandTimeoutMs * 10 : this.#o.commandTimeoutMs;
    const started = performance.now();
    return new Promise((resolve, reject) => {
      execFile(
        bin,
        argv,
        { timeout, killSignal: 'SIGKILL', maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
        (err, stdout, stderr) => {
          const ms = Math.round(performance.now() - started);
          if (!err) {
            debug('%s: ok in %d ms', command, ms);
            resolve(stdout);
            return;
          }
          const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
          debug('%s: failed in %d ms: %s', command, ms, stderr.trim() || e.message);
          if (e.killed)
            reject(
              new CephUnreachable(command, null, stderr, `no answer within ${timeout / 1000} s (killed)`),
            );
          else if (typeof e.code === 'number') reject(commandError(command, e.code, stderr));
          else
            reject(
              new RbdCommandError(
                command,
                null,
                stderr,
                e.code === 'ENOENT' ? `${bin} is not installed (Debian package ceph-common)` : e.message,
              ),
            );
        },
      );
    });
  }
}

function parseJson<T>(text: string, command: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new RbdCommandError(command, 0, '', `unparsable output: ${text.slice(0, 200)}`);
  }
}

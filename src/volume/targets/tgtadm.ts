/**
 * Runs `tgtadm -C <control port> --lld <driver> …` against one tgtd: one process per call (~5 ms),
 * a wall-clock limit after which it is SIGKILLed, and failures as ISCSITargetHelperCommandFailed
 * carrying tgtadm's stderr (`tgtadm: this target already exists`, exit 22).
 */
import { execFile } from 'node:child_process';
import { debuglog } from 'node:util';
import { ISCSITargetHelperCommandFailed } from '../../common/errors.js';
import { parseAccounts, parsePortals, parseTargets, type TgtTarget } from './tgt-show.js';

const debug = debuglog('kindling-tgt');

/** Seconds a tgtadm command may take: it only talks to tgtd over a local socket. */
export const TGTADM_TIMEOUT_MS = 30_000;

/** Runs a program; resolves with its stdout, rejects with ISCSITargetHelperCommandFailed. */
export function run(bin: string, args: readonly string[], timeoutMs = TGTADM_TIMEOUT_MS): Promise<string> {
  const command = `${bin} ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (!err) {
          debug('%s: ok', command);
          resolve(stdout);
          return;
        }
        const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
        debug('%s: %s', command, stderr.trim() || e.message);
        if (e.killed)
          reject(
            new ISCSITargetHelperCommandFailed(
              command,
              null,
              stderr,
              `no answer within ${timeoutMs / 1000} s (killed)`,
            ),
          );
        else if (typeof e.code === 'number')
          reject(new ISCSITargetHelperCommandFailed(command, e.code, stderr));
        else
          reject(
            new ISCSITargetHelperCommandFailed(
              command,
              null,
              stderr,
              e.code === 'ENOENT'
                ? `${bin} is not installed (apt-get install tgt, or run scripts/tgt-up.sh)`
                : e.message,
            ),
          );
      },
    );
  });
}

/** Whether a failed tgtadm said `text` (its messages are stable: they are tgt's error strings). */
export function saidSo(err: unknown, text: string): boolean {
  return err instanceof ISCSITargetHelperCommandFailed && err.stderr.includes(text);
}

/** tgtadm bound to one tgtd's management channel and one low-level driver. */
export class Tgtadm {
  constructor(
    readonly controlPort: number,
    readonly lld: string,
    private readonly bin = 'tgtadm',
  ) {}

  /** `tgtadm -C N --lld L <args>`. */
  exec(args: readonly string[]): Promise<string> {
    return run(this.bin, ['-C', String(this.controlPort), '--lld', this.lld, ...args]);
  }

  /** Whether tgtd answers on the channel (`--mode system --op show`). */
  async alive(): Promise<boolean> {
    try {
      await run(this.bin, ['-C', String(this.controlPort), '--mode', 'system', '--op', 'show'], 5_000);
      return true;
    } catch {
      return false;
    }
  }

  async targets(): Promise<TgtTarget[]> {
    return parseTargets(await this.exec(['--mode', 'target', '--op', 'show']));
  }

  async accounts(): Promise<string[]> {
    return parseAccounts(await this.exec(['--mode', 'account', '--op', 'show']));
  }

  async portals(): Promise<string[]> {
    return parsePortals(await this.exec(['--mode', 'portal', '--op', 'show']));
  }

  /**
   * Stops tgtd, which ignores SIGTERM. `--op delete --mode system` is refused ("invalid request",
   * with or without --force) while targets exist, so they are deleted first (--force: with their
   * sessions).
   */
  async shutdown(): Promise<void> {
    for (const t of await this.targets())
      await this.exec(['--mode', 'target', '--op', 'delete', '--force', '--tid', String(t.tid)]).catch(
        () => undefined,
      );
    await run(this.bin, ['-C', String(this.controlPort), '--op', 'delete', '--mode', 'system'], 5_000);
  }
}

/**
 * The lock of a state directory: one `kindling serve` at a time may use a `state_path` (its SQLite
 * database, volume files, backups and tgtd state). The lock is a file `kindling.lock` in the
 * directory naming the holder's pid (and, on Linux, its start time, so a pid reused by another
 * process after a crash is not taken for the holder). It is removed when the holder exits; one left
 * behind by a holder that died (`kill -9`, a power cut) is stale and taken over.
 */
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StartupError } from '../common/startup-error.js';

export const LOCK_FILE = 'kindling.lock';

/** What the lock file holds. */
interface Holder {
  pid: number;
  /** Start time of the process (field 22 of /proc/<pid>/stat), where /proc exists. */
  start?: string;
  command?: string;
}

/** A held lock. */
export interface StateLock {
  readonly path: string;
  /** Removes the lock file if this process still holds it. Idempotent. */
  release(): void;
}

/**
 * Takes the lock of `stateDir` (created if missing) for this process.
 * @throws StartupError when a live process holds it.
 */
export function acquireStateLock(stateDir: string, command = 'kindling serve'): StateLock {
  mkdirSync(stateDir, { recursive: true });
  const path = join(stateDir, LOCK_FILE);
  const me: Holder = { pid: process.pid, command };
  const start = processStart(process.pid);
  if (start !== undefined) me.start = start;
  // NOTE: written to a file of our own and linked into place, so the lock file never exists
  // half-written (link fails with EEXIST when it exists, atomically).
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(me)}\n`);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, path);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) throw err;
      }
      const holder = readHolder(path);
      if (holder && holder.pid !== process.pid && isAlive(holder))
        throw new StartupError(
          `State directory ${resolve(stateDir)} is in use by ${holder.command ?? 'another kindling'} (pid ${holder.pid}; lock file ${resolve(path)}): stop it first, or give this one another state_path`,
        );
      // NOTE: stale (its holder died, or it is unreadable): take it over.
      unlinkQuietly(path);
    }
  } finally {
    unlinkQuietly(tmp);
  }
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    if (readHolder(path)?.pid === process.pid) unlinkQuietly(path);
  };
  // NOTE: 'exit' also runs after process.exit() and an uncaught exception; only SIGKILL and the
  // like leave the file behind, and the next start sees its pid is dead.
  process.on('exit', release);
  return { path, release };
}

function readHolder(path: string): Holder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as Holder;
    return Number.isInteger(h.pid) && h.pid > 0 ? h : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the holder still runs: its pid exists and, where /proc says, started when it said. */
function isAlive(holder: Holder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    // NOTE: EPERM means the pid exists but belongs to another user: alive.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (holder.start === undefined) return true;
  const now = processStart(holder.pid);
  return now === undefined || now === holder.start;
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), where /proc exists. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // NOTE: field 2 is the command in parentheses and may contain spaces; count after its end.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

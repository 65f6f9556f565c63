import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { copyFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** How a volume file was copied: a CoW clone sharing extents, or a full copy that keeps holes. */
export type CopyMethod = 'reflink' | 'sparse';

/**
 * Errors with which FICLONE says "not here" rather than "broken": the filesystem cannot share
 * extents (ext4: ENOTSUP), source and target are on different filesystems (EXDEV), or the
 * filesystem refuses this pair of files (EINVAL; ENOTTY on filesystems without the ioctl).
 */
const REFLINK_UNAVAILABLE = new Set(['ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EINVAL', 'ENOTTY', 'ENOSYS']);

function reflinkUnavailable(e: unknown): boolean {
  return REFLINK_UNAVAILABLE.has((e as NodeJS.ErrnoException).code ?? '');
}

/**
 * Copies `src` to `dst` (created or overwritten): a reflink when the filesystem can share extents
 * (instant whatever the size), otherwise a sparse copy with coreutils `cp`.
 *
 * NOTE: only COPYFILE_FICLONE_FORCE is safe here. Plain COPYFILE_FICLONE falls back silently to a
 * full byte copy that fills every hole: a 1 GiB sparse volume would take 1 GiB on disk.
 */
export async function copyVolumeFile(src: string, dst: string): Promise<CopyMethod> {
  try {
    await copyFile(src, dst, constants.COPYFILE_FICLONE_FORCE);
    return 'reflink';
  } catch (e) {
    if (!reflinkUnavailable(e)) throw e;
  }
  await sparseCopy(src, dst);
  return 'sparse';
}

/** Full copy that leaves holes (and runs of zeros) unallocated in `dst`. */
export async function sparseCopy(src: string, dst: string): Promise<void> {
  try {
    await execFileP('cp', ['--reflink=never', '--sparse=always', '--', src, dst]);
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`sparse copy ${src} -> ${dst} failed: ${err.stderr?.trim() || err.message}`, {
      cause: e,
    });
  }
}

/**
 * Whether files in `dir` can be reflinked: clones a tiny temporary file once. Other errors (no
 * permission, no space) are thrown, since the directory is then unusable anyway.
 */
export async function probeReflink(dir: string): Promise<boolean> {
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  const a = join(dir, `.reflink-probe-${tag}`);
  const b = join(dir, `.reflink-probe-${tag}.clone`);
  try {
    await writeFile(a, 'kindling reflink probe\n');
    await copyFile(a, b, constants.COPYFILE_FICLONE_FORCE);
    return true;
  } catch (e) {
    if (reflinkUnavailable(e)) return false;
    throw e;
  } finally {
    await rm(a, { force: true });
    await rm(b, { force: true });
  }
}

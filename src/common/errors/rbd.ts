/** The RBD driver: `rbd` and `ceph` commands that failed, by errno. */
import { VolumeBackendAPIException } from './volume.js';

/**
 * An `rbd` or `ceph` command that failed. `errno` is its exit status (the CLIs exit with the
 * errno of the failed librados/librbd call), null when it was killed or did not start.
 */
export class RbdCommandError extends VolumeBackendAPIException {
  readonly command: string;
  readonly errno: number | null;
  readonly stderr: string;
  constructor(command: string, errno: number | null, stderr: string, why?: string) {
    const last = stderr.trim().split('\n').at(-1) ?? '';
    super(`${command} failed${errno === null ? '' : ` (exit ${errno})`}: ${why ?? (last || 'no output')}`);
    this.command = command;
    this.errno = errno;
    this.stderr = stderr;
  }
}

/** ENOENT: the image (or snapshot) does not exist. */
export class RbdImageNotFound extends RbdCommandError {}

/** EEXIST: an image or snapshot of that name exists already. */
export class RbdImageExists extends RbdCommandError {}

/** EBUSY: the image has watchers or the snapshot has clone children. */
export class RbdImageBusy extends RbdCommandError {}

/** ENOTEMPTY: the image still has snapshots. */
export class RbdImageHasSnapshots extends RbdCommandError {}

/** EINVAL: an argument the cluster refused (e.g. shrinking without --allow-shrink). */
export class RbdInvalidArgument extends RbdCommandError {}

/** ENOSPC / EDQUOT: the cluster or the pool's quota is full. */
export class RbdNoSpace extends RbdCommandError {}

/** EACCES / EPERM: the cephx user may not do this (or its key is wrong). */
export class RbdPermissionDenied extends RbdCommandError {}

/** The cluster did not answer in time (ETIMEDOUT, no monitor reachable, or the command was killed). */
export class CephUnreachable extends RbdCommandError {}

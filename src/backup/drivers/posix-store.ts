/**
 * The posix object store (Cinder's `PosixBackupDriver` container/object methods): a container is
 * a directory under `backup_posix_path`, an object a file in it.
 */
import { createReadStream, createWriteStream, type ReadStream, type WriteStream } from 'node:fs';
import { access, chmod, mkdir, readdir, readFile, rm, rmdir } from 'node:fs/promises';
import { constants } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { InvalidBackup } from '../../common/errors.js';

/** Directory mode of containers (Cinder's S_IRWXU | S_IRWXG). */
const CONTAINER_MODE = 0o770;
/** File mode of objects (Cinder's S_IRUSR | S_IWUSR | S_IRGRP | S_IWGRP). */
const OBJECT_MODE = 0o660;

export class PosixStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** Creates the root if needed and checks it is writable. */
  async check(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await access(this.root, constants.R_OK | constants.W_OK | constants.X_OK);
  }

  /** A container's directory; a name that would leave the root is refused. */
  containerPath(container: string): string {
    const path = resolve(this.root, container);
    const rel = relative(this.root, path);
    if (isAbsolute(container) || rel === '' || rel.startsWith('..') || isAbsolute(rel))
      throw new InvalidBackup(`container ${container} is not a directory under the backup path`);
    return path;
  }

  /** `put_container`: creates the directory (and its parents) when missing. */
  async putContainer(container: string): Promise<void> {
    const path = this.containerPath(container);
    const made = await mkdir(path, { recursive: true });
    if (made) await chmod(path, CONTAINER_MODE);
  }

  /** `get_container_entries`: the object names in the container starting with `prefix`. */
  async entries(container: string, prefix: string): Promise<string[]> {
    const names = await readdir(this.containerPath(container));
    return names.filter((n) => n.startsWith(prefix));
  }

  /** `get_object_writer`: a new file (replacing any old one). */
  writer(container: string, name: string): WriteStream {
    return createWriteStream(join(this.containerPath(container), name), { mode: OBJECT_MODE });
  }

  /** `get_object_reader`, streaming. */
  reader(container: string, name: string): ReadStream {
    return createReadStream(join(this.containerPath(container), name));
  }

  async readWhole(container: string, name: string): Promise<Buffer> {
    return readFile(join(this.containerPath(container), name));
  }

  /** `delete_object`: a missing object is fine. */
  async deleteObject(container: string, name: string): Promise<void> {
    await rm(join(this.containerPath(container), name), { force: true });
  }

  /** Removes the container's directory and its now-empty parents up to the root. */
  async pruneContainer(container: string): Promise<void> {
    let dir = this.containerPath(container);
    while (dir !== this.root && dir.startsWith(this.root + sep)) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (another backup's objects), or already gone
      }
      dir = resolve(dir, '..');
    }
  }
}

/**
 * The persistence file Cinder's tgtadm helper writes for every export: `<volumes_dir>/<volume
 * name>`, a tgt configuration block, so that a system tgtd whose targets.conf says `include
 * <volumes_dir>/*` (or `tgt-admin --update ALL`) serves the same exports. Kindling itself
 * re-creates its exports from the database (ensureExport) and only writes these for operators.
 * Mode 0600: the block holds the CHAP secret.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What one export's block says. */
export interface PersistedExport {
  readonly iqn: string;
  readonly path: string;
  /** tgtd's lld: iscsi or iser. */
  readonly driver: string;
  readonly chap: { readonly username: string; readonly password: string } | null;
  /** iscsi_target_flags ('' for none). */
  readonly bsoflags: string;
  readonly writeCache: 'on' | 'off';
}

/** The tgt configuration block (targets.conf syntax) of one export. */
export function persistenceConf(e: PersistedExport): string {
  return [
    `<target ${e.iqn}>`,
    `    backing-store ${e.path}`,
    `    driver ${e.driver}`,
    ...(e.chap ? [`    incominguser ${e.chap.username} ${e.chap.password}`] : []),
    ...(e.bsoflags ? [`    bsoflags ${e.bsoflags}`] : []),
    `    write-cache ${e.writeCache}`,
    // NOTE: lets an initiator's UNMAP punch holes into the sparse file, as Cinder's block says.
    '    params thin_provisioning=1',
    '</target>',
    '',
  ].join('\n');
}

/** Writes `<dir>/<name>` atomically (a reader never sees half a block), mode 0600. */
export async function writePersistenceFile(dir: string, name: string, text: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${name}.tmp`);
  await rm(tmp, { force: true }); // NOTE: writeFile's mode only applies to a new file
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, join(dir, name));
}

/** Removes `<dir>/<name>`; a missing file is fine. */
export async function removePersistenceFile(dir: string, name: string): Promise<void> {
  await rm(join(dir, name), { force: true });
}

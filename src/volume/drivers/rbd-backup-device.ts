/**
 * The RBD driver's backup devices (see `BackupDevice` in ../driver.ts): commands the backup service
 * runs where it runs, with the backend's `--cluster`/`--conf`/`--id`/`--keyring` and timeouts.
 * - backup: `rbd export --no-progress POOL/IMAGE[@SNAP] -` writes the raw image to stdout;
 * - restore: `rbd import` only makes new images, so the raw image on stdin goes through
 *   rbd-import-raw.ts into `rbd import-diff - POOL/IMAGE`, which writes it into the existing image
 *   in place: its name, size, features, snapshots and clones stay; zero blocks are deallocated.
 */
import { fileURLToPath } from 'node:url';
import type { BackupDevice } from '../driver.js';
import type { CephCli } from './rbd-cli.js';
import { DEFAULT_RAW_TO_DIFF } from './rbd-raw-diff.js';

/**
 * `node rbd-import-raw.js`, as this module is running: the compiled `.js` beside it, or under the
 * tsx loader (tests, `tsx` runs) the `.ts` source with that loader.
 */
function importRawProgram(): string[] {
  const ext = new URL(import.meta.url).pathname.endsWith('.ts') ? 'ts' : 'js';
  const script = fileURLToPath(new URL(`./rbd-import-raw.${ext}`, import.meta.url));
  const loader = ext === 'ts' ? ['--import', import.meta.resolve('tsx')] : [];
  return [process.execPath, ...loader, script];
}

/** `rbd export` of `spec` (`POOL/IMAGE` or `POOL/IMAGE@SNAP`) to stdout. */
export function exportDevice(cli: CephCli, spec: string): BackupDevice {
  return { type: 'command', argv: cli.rbdArgv(['export', '--no-progress', spec, '-']) };
}

/** A raw image of exactly `sizeBytes` on stdin becomes the content of the existing image `spec`. */
export function restoreDevice(cli: CephCli, spec: string, sizeBytes: number): BackupDevice {
  const importDiff = cli.rbdArgv([
    'import-diff',
    '--no-progress',
    '--sparse-size',
    String(DEFAULT_RAW_TO_DIFF.blockBytes),
    '-',
    spec,
  ]);
  return { type: 'command', argv: [...importRawProgram(), String(sizeBytes), ...importDiff] };
}

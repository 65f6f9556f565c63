/** Helpers for the backup tests (both test modes): backups through the API, volume bytes by file I/O. */
import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { TEST_MODE, waitFor, type TestKindling } from '../support/kindling.js';
import { token } from '../support/snapshots.js';

export const MiB = 1024 * 1024;
/**
 * How long a backup or restore may take in a test: each reads or writes the whole volume (a 1 GiB
 * sparse file is read in about a second, several on a loaded machine).
 */
export const BACKUP_WAIT_MS = TEST_MODE === 'distributed' ? 60_000 : 30_000;
export const GiB = 1024 * MiB;

/** The file behind a file-driver volume (its `provider_location`). */
export async function volumeFile(k: TestKindling, volumeId: string): Promise<string> {
  const row = await k.db
    .selectFrom('volumes')
    .select('provider_location')
    .where('id', '=', volumeId)
    .executeTakeFirstOrThrow();
  assert.ok(row.provider_location, `volume ${volumeId} has no file`);
  return row.provider_location;
}

/** Writes `data` into the volume's file at `offset`, with plain file I/O. */
export async function writeVolume(
  k: TestKindling,
  volumeId: string,
  offset: number,
  data: Buffer,
): Promise<void> {
  const fh = await open(await volumeFile(k, volumeId), 'r+');
  try {
    await fh.write(data, 0, data.length, offset);
  } finally {
    await fh.close();
  }
}

/** Reads `length` bytes of the volume's file at `offset`. */
export async function readVolume(
  k: TestKindling,
  volumeId: string,
  offset: number,
  length: number,
): Promise<Buffer> {
  const fh = await open(await volumeFile(k, volumeId), 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** A recognisable block of `size` bytes (no zeros in it). */
export function pattern(seed: string, size = 4096): Buffer {
  const unit = Buffer.from(`${seed}|`);
  const buf = Buffer.alloc(size);
  for (let i = 0; i < size; i += unit.length) unit.copy(buf, i);
  return buf;
}

/** Polls a backup until its status is one of `statuses` (`deleted`: it is gone). */
export async function waitForBackupStatus(
  k: TestKindling,
  id: string,
  statuses: readonly string[],
  project = 'admin',
): Promise<any> {
  let last: unknown;
  try {
    return await waitFor(async () => {
      const r = await k.req('GET', `/v3/${project}/backups/${id}`, undefined, token(project));
      if (r.status === 404) {
        last = 'deleted';
        return statuses.includes('deleted') ? { id, status: 'deleted' } : null;
      }
      last = `${r.body?.backup?.status} (${r.body?.backup?.fail_reason})`;
      return statuses.includes(r.body?.backup?.status) ? r.body.backup : null;
    }, BACKUP_WAIT_MS);
  } catch {
    throw new Error(`backup ${id} is ${String(last)}, not ${statuses.join('|')}\n${k.logs().slice(-4000)}`);
  }
}

/** Creates a backup (`extra` merged into the body) and waits until it is `available`. */
export async function availableBackup(
  k: TestKindling,
  volumeId: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<any> {
  const r = await k.req('POST', '/v3/admin/backups', { backup: { volume_id: volumeId, ...extra } }, headers);
  assert.equal(r.status, 202, r.text);
  return waitForBackupStatus(k, r.body.backup.id, ['available']);
}

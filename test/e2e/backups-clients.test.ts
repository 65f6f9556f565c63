/**
 * Backups with the real Debian `cinder` client against a real `kindling serve` (noauth, its
 * embedded backup service on): `backup-create`, `backup-list`, `backup-show`, `backup-restore`
 * (into an existing volume, into a new one, and with `--volume-type`, which the client turns into
 * a volume create from the backup) and `backup-delete`. The data is checked on the volume files.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { clientSkipReason, kindlingForSuite, runClient, waitFor } from './harness.js';
import { parseProperties, parseTable } from './prettytable.js';

const skip = clientSkipReason('cinder');
const OFFSET = 9 * 1024 * 1024;
const DATA = Buffer.from('kindling backup e2e: these bytes must survive the round trip\n'.repeat(40));

describe('backups with the stock cinder client', { skip }, () => {
  const kindling = kindlingForSuite();
  let volumeId = '';
  let backupId = '';

  const run = (args: string[], expectOk = true) => runClient(kindling, 'cinder', args, { expectOk });
  const file = (id: string) => join(kindling.stateDir, 'volumes', `volume-${id}`);

  async function readAt(id: string): Promise<Buffer> {
    const fh = await open(file(id), 'r');
    try {
      const buf = Buffer.alloc(DATA.length);
      await fh.read(buf, 0, buf.length, OFFSET);
      return buf;
    } finally {
      await fh.close();
    }
  }

  /** Polls `cinder <show> <id>` until its status is `status`; returns its properties. */
  async function waitStatus(show: 'show' | 'backup-show', id: string, status: string) {
    return waitFor(
      `${show} ${id} → ${status}`,
      async () => {
        const p = parseProperties((await run([show, id])).stdout);
        return p.status === status ? p : undefined;
      },
      60_000,
      250,
    );
  }

  test('cinder backup-create backs up a volume; backup-list and backup-show show it', async () => {
    const v = parseProperties((await run(['create', '1', '--name', 'bsrc'])).stdout);
    volumeId = v.id ?? '';
    await waitStatus('show', volumeId, 'available');
    const fh = await open(file(volumeId), 'r+');
    await fh.write(DATA, 0, DATA.length, OFFSET);
    await fh.close();

    const created = parseProperties((await run(['backup-create', '--name', 'bk1', 'bsrc'])).stdout);
    assert.equal(created.name, 'bk1');
    backupId = created.id ?? '';
    const shown = await waitStatus('backup-show', backupId, 'available');
    assert.equal(shown.volume_id, volumeId);
    assert.equal(shown.size, '1');
    assert.equal(shown.is_incremental, 'False');
    await waitStatus('show', volumeId, 'available');
    const rows = parseTable((await run(['backup-list'])).stdout).rows;
    assert.deepEqual(
      rows.map((r) => [r.ID, r['Volume ID'], r.Status, r.Name, r.Size]),
      [[backupId, volumeId, 'available', 'bk1', '1']],
    );
  });

  test('cinder backup-restore into an existing volume and into new ones brings the data back', async () => {
    const target = parseProperties((await run(['create', '1', '--name', 'btarget'])).stdout);
    await waitStatus('show', target.id ?? '', 'available');
    const intoExisting = parseProperties(
      (await run(['backup-restore', '--volume', 'btarget', 'bk1'])).stdout,
    );
    assert.equal(intoExisting.volume_id, target.id);
    await waitStatus('show', target.id ?? '', 'available');
    assert.deepEqual(await readAt(target.id ?? ''), DATA);

    const intoNew = parseProperties((await run(['backup-restore', '--name', 'brestored', 'bk1'])).stdout);
    assert.equal(intoNew.volume_name, 'brestored');
    await waitStatus('show', intoNew.volume_id ?? '', 'available');
    assert.deepEqual(await readAt(intoNew.volume_id ?? ''), DATA);

    // --volume-type makes the client create the volume from the backup (3.47 backup_id).
    const typed = parseProperties(
      (await run(['backup-restore', '--volume-type', '__DEFAULT__', '--name', 'btyped', 'bk1'])).stdout,
    );
    const made = await waitStatus('show', typed.volume_id ?? '', 'available');
    assert.equal(made.name, 'btyped');
    assert.deepEqual(await readAt(typed.volume_id ?? ''), DATA);
    await waitStatus('backup-show', backupId, 'available');
  });

  test('cinder backup-delete removes it', async () => {
    await run(['backup-delete', 'bk1']);
    await waitFor(
      'backup-list empty',
      async () => (parseTable((await run(['backup-list'])).stdout).rows.length === 0 ? true : undefined),
      60_000,
      250,
    );
    const gone = await run(['backup-show', backupId], false);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /No volumebackup with a name or ID of/);
  });
});

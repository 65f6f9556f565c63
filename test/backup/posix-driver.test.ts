/**
 * The posix backup driver on its own: objects split at `backup_file_size`, zero blocks skipped,
 * compression on or off, Cinder's metadata files, incrementals, and both device shapes (a file
 * path, and a command as the RBD driver hands out).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, open, readdir, readFile, readlink, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { createHash, randomBytes } from 'node:crypto';
import { openDeviceReader, openDeviceWriter, type DeviceWriter } from '../../src/volume/device-io.js';
import { PosixBackupDriver } from '../../src/backup/drivers/posix.js';
import type { DriverBackup } from '../../src/backup/driver.js';
import type { BackupOptions } from '../../src/backup/options.js';

const KiB = 1024;
const SIZE = 8 * 1024 * KiB; // an 8 MiB "volume"

function options(dir: string, extra: Partial<BackupOptions> = {}): BackupOptions {
  return {
    enable_backup: true,
    backup_driver: 'cinder.backup.drivers.posix.PosixBackupDriver',
    backup_posix_path: join(dir, 'store'),
    backup_file_size: 256 * KiB,
    backup_sha_block_size_bytes: 32 * KiB,
    backup_compression_algorithm: 'zlib',
    backup_compression_name: 'zlib',
    backup_container: null,
    backup_use_same_host: false,
    backup_object_number_per_notification: 10,
    backup_timer_interval: 120,
    backup_enable_progress_timer: true,
    ...extra,
  };
}

function backupRow(id: string, extra: Partial<DriverBackup> = {}): DriverBackup {
  return {
    id,
    volume_id: 'vol-1',
    display_name: 'b',
    display_description: null,
    created_at: '2026-01-02T03:04:05.000000',
    container: null,
    service_metadata: null,
    parent_id: null,
    size: 1,
    ...extra,
  };
}

async function writeAt(path: string, offset: number, data: Buffer): Promise<void> {
  const fh = await open(path, 'r+');
  await fh.write(data, 0, data.length, offset);
  await fh.close();
}

async function run(
  driver: PosixBackupDriver,
  b: DriverBackup,
  path: string,
  parent: DriverBackup | null = null,
  volumeMeta: string | null = null,
) {
  const reader = await openDeviceReader({ type: 'path', path }, SIZE);
  try {
    const u = await driver.backup(b, reader, {
      volumeSizeBytes: SIZE,
      parent,
      volumeMeta,
      onPrepared: async () => {},
      isCanceled: async () => false,
    });
    assert.ok(u);
    return { ...b, ...u };
  } finally {
    await reader.close();
  }
}

test('objects are cut at backup_file_size, zero blocks are skipped, metadata is Cinder’s', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kindling-posix-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const vol = join(dir, 'vol');
  await writeFile(vol, '');
  await truncate(vol, SIZE);
  const big = Buffer.alloc(600 * KiB, 7); // spans three 256 KiB objects
  await writeAt(vol, 1024 * KiB, big);
  await writeAt(vol, 6 * 1024 * KiB, Buffer.from('lonely'));
  const driver = new PosixBackupDriver(options(dir));
  await driver.checkForSetupError();
  const done = await run(driver, backupRow('aabbccdd-0000-4000-8000-000000000001'), vol);
  assert.equal(done.container, 'aa/bb/aabbccdd-0000-4000-8000-000000000001');
  assert.equal(done.object_count, 4);

  const meta = await driver.readMetadata(done);
  assert.equal(meta.version, '1.0.0');
  assert.equal(meta.backup_id, done.id);
  const entries = meta.objects.map((o) => Object.entries(o)[0]!);
  assert.deepEqual(
    entries.map(([, o]) => [o.offset, o.length]),
    [
      [1024 * KiB, 256 * KiB],
      [1280 * KiB, 256 * KiB],
      [1536 * KiB, 96 * KiB], // 600 KiB rounded up to whole 32 KiB blocks
      [6 * 1024 * KiB, 32 * KiB],
    ],
  );
  const [name, first] = entries[0]!;
  assert.match(name, /^volume_vol-1_\d{14}_backup_aabbccdd-0000-4000-8000-000000000001-00001$/);
  assert.equal(first.compression, 'zlib');
  const raw = inflateSync(await readFile(join(dir, 'store', done.container, name)));
  assert.deepEqual(raw, big.subarray(0, 256 * KiB));
  assert.equal(first.md5, createHash('md5').update(raw).digest('hex'));
  const sha = JSON.parse(
    await readFile(join(dir, 'store', done.container, `${done.service_metadata}_sha256file`), 'utf8'),
  );
  assert.equal(sha.chunk_size, 32 * KiB);
  assert.equal(sha.sha256s.length, SIZE / (32 * KiB));

  // Uncompressed objects hold the raw bytes.
  const plain = new PosixBackupDriver(
    options(dir, { backup_compression_algorithm: 'none', backup_compression_name: 'none' }),
  );
  const p = await run(plain, backupRow('11223344-0000-4000-8000-000000000002'), vol);
  const pm = await plain.readMetadata(p);
  const [pname, pobj] = Object.entries(pm.objects[0]!)[0]!;
  assert.equal(pobj.compression, 'none');
  assert.equal((await stat(join(dir, 'store', p.container, pname))).size, 256 * KiB);

  // Delete removes the objects and the emptied directories.
  await driver.deleteBackup(done);
  await plain.deleteBackup(p);
  assert.deepEqual(await readdir(join(dir, 'store')), []);
});

test('an incremental on a different hash block size is refused; a restore from a command device works', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kindling-posix-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const vol = join(dir, 'vol');
  await writeFile(vol, '');
  await truncate(vol, SIZE);
  await writeAt(vol, 100 * KiB, Buffer.from('first version'));
  const driver = new PosixBackupDriver(options(dir));
  const full = await run(driver, backupRow('aaaa0000-0000-4000-8000-000000000003'), vol);

  const other = new PosixBackupDriver(options(dir, { backup_sha_block_size_bytes: 64 * KiB }));
  const reader = await openDeviceReader({ type: 'path', path: vol }, SIZE);
  await assert.rejects(
    other.backup(backupRow('aaaa0000-0000-4000-8000-000000000004', { parent_id: full.id }), reader, {
      volumeSizeBytes: SIZE,
      parent: full,
      volumeMeta: null,
      onPrepared: async () => {},
      isCanceled: async () => false,
    }),
    /Hash block size has changed since the last backup\. New hash block size: 65536\. Old hash block size: 32768\. Do a full backup\./,
  );
  await reader.close();

  await writeAt(vol, 5000 * KiB, Buffer.from('second version'));
  // Read through a command (as `rbd export - ` would), write back through one (`rbd import -`).
  const creader = await openDeviceReader({ type: 'command', argv: ['cat', vol] }, SIZE);
  const inc = await driver.backup(
    backupRow('aaaa0000-0000-4000-8000-000000000005', { parent_id: full.id }),
    creader,
    {
      volumeSizeBytes: SIZE,
      parent: full,
      volumeMeta: null,
      onPrepared: async () => {},
      isCanceled: async () => false,
    },
  );
  await creader.close();
  assert.equal(inc!.object_count, 1);

  const out = join(dir, 'restored');
  const writer = await openDeviceWriter(
    { type: 'command', argv: ['sh', '-c', `cat > ${out}`] },
    SIZE,
    join(dir, 'tmp'),
  );
  await driver.restore(
    [full, { ...backupRow('aaaa0000-0000-4000-8000-000000000005', { parent_id: full.id }), ...inc! }],
    writer,
    {
      targetBytes: SIZE,
      isCanceled: async () => false,
    },
  );
  await writer.close();
  assert.deepEqual(await readFile(out), await readFile(vol));
  assert.deepEqual(await readdir(join(dir, 'tmp')), [], 'the temporary image is removed');

  // A failing command fails the restore with its stderr.
  const failing = await openDeviceWriter(
    { type: 'command', argv: ['sh', '-c', 'cat > /dev/null; echo no space left >&2; exit 28'] },
    SIZE,
    join(dir, 'tmp'),
  );
  await driver.restore([full], failing, { targetBytes: SIZE, isCanceled: async () => false });
  await assert.rejects(failing.close(), /sh exited with status 28: no space left/);
});

/** Paths of this process's open descriptors under `dir` (a deleted file shows as `<path> (deleted)`). */
async function openFilesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const fd of await readdir('/proc/self/fd')) {
    try {
      const target = await readlink(join('/proc/self/fd', fd));
      if (target.startsWith(dir)) out.push(target);
    } catch {
      // closed between readdir and readlink
    }
  }
  return out;
}

/** Waits up to a second for every descriptor under `dir` to be closed; returns those still open. */
async function stillOpenUnder(dir: string): Promise<string[]> {
  for (let i = 0; i < 50; i++) {
    const open = await openFilesUnder(dir);
    if (!open.length) return open;
    await new Promise((r) => setTimeout(r, 20));
  }
  return openFilesUnder(dir);
}

/** A restore target whose writes fail, as a full disk would. */
function failingWriter(): DeviceWriter & { writes: number } {
  const w = {
    writes: 0,
    async write() {
      w.writes++;
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    },
    async zero() {},
    async close() {},
    async abort() {},
  };
  return w;
}

for (const compression of ['zlib', 'none'] as const) {
  test(`a restore whose write fails closes the object it was reading (${compression}); deleting the backup frees it`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'kindling-posix-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const vol = join(dir, 'vol');
    await writeFile(vol, '');
    await truncate(vol, SIZE);
    // Incompressible data, several read buffers long: the object is still being read when the
    // first write fails.
    await writeAt(vol, 0, randomBytes(1024 * KiB));
    const driver = new PosixBackupDriver(
      options(dir, {
        backup_file_size: 1024 * KiB,
        backup_compression_algorithm: compression,
        backup_compression_name: compression,
      }),
    );
    const b = await run(driver, backupRow('ffee0000-0000-4000-8000-000000000006'), vol);
    const store = join(dir, 'store');
    assert.deepEqual(await openFilesUnder(store), [], 'nothing open before the restore');

    const writer = failingWriter();
    await assert.rejects(
      driver.restore([b], writer, { targetBytes: SIZE, isCanceled: async () => false }),
      /ENOSPC/,
    );
    assert.equal(writer.writes, 1);
    assert.deepEqual(await stillOpenUnder(store), [], 'the object file was closed');

    await driver.deleteBackup(b);
    assert.deepEqual(await readdir(store), []);
    assert.deepEqual(await stillOpenUnder(store), [], 'no deleted object is held open');
  });
}

test('an object with an unknown compression is refused without being opened', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kindling-posix-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const vol = join(dir, 'vol');
  await writeFile(vol, '');
  await truncate(vol, SIZE);
  await writeAt(vol, 0, randomBytes(300 * KiB));
  const driver = new PosixBackupDriver(options(dir));
  const b = await run(driver, backupRow('ffee0000-0000-4000-8000-000000000007'), vol);
  const metaPath = join(dir, 'store', b.container, `${b.service_metadata}_metadata`);
  const meta = JSON.parse(await readFile(metaPath, 'utf8'));
  for (const o of meta.objects)
    for (const e of Object.values(o)) (e as { compression: string }).compression = 'lzma';
  await writeFile(metaPath, JSON.stringify(meta));
  const out = join(dir, 'out');
  await writeFile(out, '');
  await truncate(out, SIZE);
  const writer = await openDeviceWriter({ type: 'path', path: out }, SIZE, join(dir, 'tmp'));
  await assert.rejects(
    driver.restore([b], writer, { targetBytes: SIZE, isCanceled: async () => false }),
    /unsupported compression algorithm: lzma/,
  );
  await writer.abort();
  assert.deepEqual(await stillOpenUnder(join(dir, 'store')), []);
});

test('a restore image that cannot be prepared is closed and removed', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kindling-posix-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const tmp = join(dir, 'tmp');
  // A size the image cannot be truncated to (past 2^53 bytes) fails after the image was opened.
  await assert.rejects(openDeviceWriter({ type: 'command', argv: ['true'] }, 2 ** 53, tmp));
  assert.deepEqual(await readdir(tmp), [], 'no temporary image left behind');
  assert.deepEqual(await stillOpenUnder(tmp), []);
});

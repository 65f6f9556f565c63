/**
 * Opening a {@link BackupDevice} in the process that reads or writes it (the part of os-brick's
 * `connect_volume` Kindling needs): a sequential reader for backups (and the volume service's
 * uploads to images), a random-access writer for restores. A `command` device is run as a child process; a restore into one is first written to
 * a sparse temporary file (so the layers of an incremental chain can be applied at offsets) and
 * then streamed into the command's stdin.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { backupBytes } from '../metrics/registry.js';
import type { BackupDevice } from './driver.js';

// Throughput (`kindling_backup_bytes_total`): volume bytes read for backups, written by restores.
const backupRead = backupBytes.labels({ operation: 'backup' });
const restoreWritten = backupBytes.labels({ operation: 'restore' });

async function* counted(source: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  for await (const b of source) {
    backupRead.inc(b.length);
    yield b;
  }
}

/** Bytes read from a device per read call. */
export const READ_BUFFER_BYTES = 4 * 1024 * 1024;

/** A device opened for a backup: its content, in order, then `close()`. */
export interface DeviceReader {
  chunks(): AsyncIterable<Buffer>;
  close(): Promise<void>;
}

/** A device opened for a restore: writes at offsets, zero checks, then `close()` (which commits). */
export interface DeviceWriter {
  write(data: Buffer, offset: number): Promise<void>;
  /** Makes `[offset, offset+length)` read as zeros (writes only where it does not already). */
  zero(offset: number, length: number): Promise<void>;
  /** Finishes the restore: flushes a file; for a command, feeds it the image and waits for it. */
  close(): Promise<void>;
  /** Gives up: nothing more is written (a command is not run). */
  abort(): Promise<void>;
}

function runError(
  argv: readonly string[],
  code: number | null,
  signal: string | null,
  stderr: string,
): Error {
  const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
  return new Error(`${argv[0]} ${how}: ${stderr.trim().slice(-2000) || '(no output)'}`);
}

/**
 * Settles when a device command ends: resolves on status 0, otherwise rejects with the tail of
 * its stderr (which it starts collecting now).
 */
function commandExit(child: ChildProcess, argv: readonly string[]): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString('utf8')).slice(-8000)));
  return new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) =>
      code === 0 ? resolve() : reject(runError(argv, code, signal, stderr)),
    );
  });
}

async function* fileChunks(fh: FileHandle, limit: number | null): AsyncIterable<Buffer> {
  let position = 0;
  for (;;) {
    const want = limit === null ? READ_BUFFER_BYTES : Math.min(READ_BUFFER_BYTES, limit - position);
    if (want <= 0) return;
    const buf = Buffer.allocUnsafe(want);
    const { bytesRead } = await fh.read(buf, 0, want, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield bytesRead === want ? buf : buf.subarray(0, bytesRead);
  }
}

/** Opens `device` to read a volume's content (at most `limitBytes`, the volume's size). */
export async function openDeviceReader(
  device: BackupDevice,
  limitBytes: number | null,
): Promise<DeviceReader> {
  if (device.type === 'path') {
    const fh = await open(device.path, 'r');
    return { chunks: () => counted(fileChunks(fh, limitBytes)), close: () => fh.close() };
  }
  const [cmd, ...args] = device.argv;
  if (!cmd) throw new Error('backup device command is empty');
  const child = spawn(cmd, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...device.env },
  });
  const exited = commandExit(child, device.argv);
  exited.catch(() => {});
  async function* chunks(): AsyncIterable<Buffer> {
    let seen = 0;
    for await (const b of child.stdout as AsyncIterable<Buffer>) {
      if (limitBytes !== null && seen + b.length > limitBytes) {
        const rest = limitBytes - seen;
        if (rest > 0) yield b.subarray(0, rest);
        seen = limitBytes;
        break;
      }
      seen += b.length;
      yield b;
    }
    if (limitBytes === null || seen < limitBytes) await exited;
  }
  return {
    chunks: () => counted(chunks()),
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited.catch(() => {});
    },
  };
}

const ZEROS = Buffer.alloc(READ_BUFFER_BYTES);

/** Random-access writer over an open file handle (the volume's file, or a temporary image). */
function fileWriter(
  fh: FileHandle,
  onClose: () => Promise<void>,
  onAbort: () => Promise<void>,
): DeviceWriter {
  return {
    async write(data, offset) {
      let done = 0;
      while (done < data.length) {
        const { bytesWritten } = await fh.write(data, done, data.length - done, offset + done);
        done += bytesWritten;
      }
      restoreWritten.inc(data.length);
    },
    async zero(offset, length) {
      const buf = Buffer.allocUnsafe(Math.min(READ_BUFFER_BYTES, length));
      for (let at = offset; at < offset + length;) {
        const n = Math.min(buf.length, offset + length - at);
        const { bytesRead } = await fh.read(buf, 0, n, at);
        // NOTE: holes and zeros read back as zeros: only real data is overwritten, so a fresh
        // (sparse) volume stays sparse.
        if (!buf.subarray(0, bytesRead).equals(ZEROS.subarray(0, bytesRead))) await fh.write(ZEROS, 0, n, at);
        at += n;
      }
    },
    async close() {
      try {
        try {
          await fh.datasync();
        } finally {
          await fh.close();
        }
      } catch (e) {
        // NOTE: what close() would have cleaned up (a command's temporary image) goes now.
        await onAbort().catch(() => {});
        throw e;
      }
      await onClose();
    },
    async abort() {
      await fh.close().catch(() => {});
      await onAbort();
    },
  };
}

/**
 * Opens `device` to restore a volume of `sizeBytes` into. A command device gets a sparse temporary
 * image under `tmpDir`, fed to the command at `close()`.
 */
export async function openDeviceWriter(
  device: BackupDevice,
  sizeBytes: number,
  tmpDir: string,
): Promise<DeviceWriter> {
  if (device.type === 'path') {
    const fh = await open(device.path, 'r+');
    return fileWriter(
      fh,
      async () => {},
      async () => {},
    );
  }
  await mkdir(tmpDir, { recursive: true });
  const image = join(
    tmpDir,
    `restore-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`,
  );
  const fh = await open(image, 'wx+', 0o600);
  const cleanup = () => rm(image, { force: true });
  try {
    await fh.truncate(sizeBytes);
  } catch (e) {
    await fh.close().catch(() => {});
    await cleanup();
    throw e;
  }
  return fileWriter(
    fh,
    async () => {
      try {
        await feedCommand(device, image);
      } finally {
        await cleanup();
      }
    },
    cleanup,
  );
}

/** Runs a restore command with `image` on its stdin; rejects with its stderr when it fails. */
async function feedCommand(device: Extract<BackupDevice, { type: 'command' }>, image: string): Promise<void> {
  const [cmd, ...args] = device.argv;
  if (!cmd) throw new Error('backup device command is empty');
  const child = spawn(cmd, args, {
    stdio: ['pipe', 'ignore', 'pipe'],
    env: { ...process.env, ...device.env },
  });
  const exited = commandExit(child, device.argv);
  // NOTE: the command may fail while its input is still being written; its rejection is awaited
  // below, and must not count as unhandled meanwhile (that would end the process).
  exited.catch(() => {});
  try {
    await pipeline(createReadStream(image), child.stdin);
  } catch (e) {
    // NOTE: a command that exits early closes its stdin (EPIPE); its exit status says why.
    await exited;
    throw e;
  }
  await exited;
}

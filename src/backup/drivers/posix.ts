/**
 * Cinder's posix backup driver with its chunked base (`backup/drivers/posix.py`,
 * `backup/chunkeddriver.py`), written for Node streams:
 * - a backup is a set of objects `<prefix>-00001`, `-00002`, … of at most `backup_file_size`
 *   bytes each, zlib-compressed unless `backup_compression_algorithm = none`, plus
 *   `<prefix>_sha256file` (one sha256 per `backup_sha_block_size_bytes` block of the volume) and
 *   `<prefix>_metadata` (the object list with offset, length, compression and md5), in Cinder's
 *   version `1.0.0` JSON layout, so a Cinder posix backup can be imported and vice versa;
 * - blocks that are all zeros are not stored (a full backup of a sparse volume takes the space of
 *   its data); a restore of a full backup makes those ranges zero again;
 * - an incremental backup stores only the blocks whose sha256 differs from its parent's, and a
 *   restore applies the full backup and then each incremental in order.
 * Memory stays bounded (a few read buffers), whatever `backup_file_size` is: objects are streamed.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createInflate, createDeflate, type Deflate } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { BackupRestoreCancel, InvalidBackup } from '../../common/errors.js';
import { GiB } from '../../volume/driver.js';
import type { DeviceReader, DeviceWriter } from '../../volume/device-io.js';
import type {
  BackupDriver,
  BackupModelUpdate,
  BackupRunOptions,
  DriverBackup,
  RestoreRunOptions,
} from '../driver.js';
import { POSIX_DRIVER, type BackupOptions } from '../options.js';
import { PosixStore } from './posix-store.js';

const DRIVER_VERSION = '1.0.0';
/** How many bytes are read between two checks that the backup was not canceled. */
const CANCEL_CHECK_BYTES = 64 * 1024 * 1024;

/** One object of a backup, as listed in its metadata file. */
export interface ObjectEntry {
  offset: number;
  length: number;
  compression: string | null;
  md5: string;
}

/** The `<prefix>_metadata` file. */
export interface BackupMetadataFile {
  version: string;
  backup_id: string;
  volume_id: string;
  backup_name: string | null;
  backup_description: string | null;
  created_at: string;
  objects: Record<string, ObjectEntry>[];
  parent_id: string | null;
  /** The volume's metadata container as a JSON string (Cinder's layout), or null. */
  volume_meta: string | null;
  extra_metadata?: unknown;
}

/** JSON with sorted keys and two-space indent, as Cinder's `json.dumps(sort_keys=True, indent=2)`. */
export function sortedJson(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
          )
        : v;
  return JSON.stringify(sort(value), null, 2);
}

/** Python's `str(datetime)` of a stored UTC timestamp: `2026-11-22 01:33:58.123000+00:00`. */
function pythonDatetime(ts: string): string {
  return `${ts.replace('T', ' ')}+00:00`;
}

/** `volume_<volume id>_<YYYYmmddHHMMSS>_backup_<backup id>` (`_generate_object_name_prefix`). */
function objectPrefix(b: DriverBackup, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `volume_${b.volume_id}_${stamp}_backup_${b.id}`;
}

/** An object being written: raw bytes in, compressed (or not) to its file, md5 of the raw bytes. */
class ObjectWriter {
  readonly name: string;
  readonly offset: number;
  length = 0;
  readonly #md5 = createHash('md5');
  readonly #into: Writable;
  readonly #done: Promise<void>;

  constructor(
    store: PosixStore,
    container: string,
    name: string,
    offset: number,
    private readonly compression: string,
  ) {
    this.name = name;
    this.offset = offset;
    const file = store.writer(container, name);
    if (compression === 'none') {
      this.#into = file;
      this.#done = once(file, 'close').then(() => undefined);
      file.once('error', () => {});
    } else {
      const deflate: Deflate = createDeflate();
      this.#into = deflate;
      this.#done = pipeline(deflate, file);
    }
    this.#done.catch(() => {});
  }

  async write(data: Buffer): Promise<void> {
    this.#md5.update(data);
    this.length += data.length;
    if (!this.#into.write(data)) await Promise.race([once(this.#into, 'drain'), this.#done]);
  }

  async close(): Promise<Record<string, ObjectEntry>> {
    this.#into.end();
    await this.#done;
    return {
      [this.name]: {
        offset: this.offset,
        length: this.length,
        compression: this.compression,
        md5: this.#md5.digest('hex'),
      },
    };
  }
}

export class PosixBackupDriver implements BackupDriver {
  readonly name = POSIX_DRIVER;
  readonly supportForceDelete = true;
  readonly store: PosixStore;
  readonly #chunkBytes: number;
  readonly #shaBytes: number;
  readonly #compression: string;
  readonly #defaultContainer: string | null;
  readonly #zeroBlock: Buffer;
  readonly #zeroSha: string;

  constructor(opts: BackupOptions) {
    this.store = new PosixStore(opts.backup_posix_path);
    this.#chunkBytes = opts.backup_file_size;
    this.#shaBytes = opts.backup_sha_block_size_bytes;
    this.#compression = opts.backup_compression_name;
    this.#defaultContainer = opts.backup_container;
    this.#zeroBlock = Buffer.alloc(this.#shaBytes);
    this.#zeroSha = createHash('sha256').update(this.#zeroBlock).digest('hex');
  }

  async checkForSetupError(): Promise<void> {
    await this.store.check();
  }

  /** `update_container_name` + `backup_container`: the request's, the configured, or `ab/cd/<id>`. */
  #containerFor(b: DriverBackup): string {
    return b.container ?? this.#defaultContainer ?? `${b.id.slice(0, 2)}/${b.id.slice(2, 4)}/${b.id}`;
  }

  async backup(
    b: DriverBackup,
    reader: DeviceReader,
    opts: BackupRunOptions,
  ): Promise<BackupModelUpdate | null> {
    if (this.#chunkBytes % this.#shaBytes)
      throw new InvalidBackup('Chunk size is not multiple of block size for creating hash.');
    let parentShas: string[] | null = null;
    if (opts.parent) {
      const shafile = await this.#readSha256File(opts.parent);
      if (shafile.chunk_size !== this.#shaBytes)
        throw new InvalidBackup(
          `Hash block size has changed since the last backup. New hash block size: ${this.#shaBytes}. Old hash block size: ${shafile.chunk_size}. Do a full backup.`,
        );
      if ((b.size ?? 0) > (opts.parent.size ?? 0))
        throw new InvalidBackup('Volume size increased since the last backup. Do a full backup.');
      parentShas = shafile.sha256s;
    }
    const container = this.#containerFor(b);
    await this.store.putContainer(container);
    const prefix = objectPrefix(b);
    await opts.onPrepared({ container, service_metadata: prefix });

    const shas: string[] = [];
    const objects: Record<string, ObjectEntry>[] = [];
    let current: ObjectWriter | null = null;
    const closeCurrent = async () => {
      if (current) objects.push(await current.close());
      current = null;
    };
    /** Appends `data` (volume bytes at `position`) to the objects, opening new ones as needed. */
    const append = async (data: Buffer, position: number) => {
      let done = 0;
      while (done < data.length) {
        const at = position + done;
        if (!current || current.offset + current.length !== at || current.length >= this.#chunkBytes) {
          await closeCurrent();
          const name = `${prefix}-${String(objects.length + 1).padStart(5, '0')}`;
          current = new ObjectWriter(this.store, container, name, at, this.#compression);
        }
        const n = Math.min(data.length - done, this.#chunkBytes - current.length);
        await current.write(data.subarray(done, done + n));
        done += n;
      }
    };
    /** Hashes whole blocks of `buf` (bytes at `base`) and stores the runs that must be kept. */
    const consume = async (buf: Buffer, base: number) => {
      let runStart = -1;
      for (let i = 0; i < buf.length; i += this.#shaBytes) {
        const block = buf.subarray(i, Math.min(i + this.#shaBytes, buf.length));
        const zero = block.length === this.#shaBytes ? block.equals(this.#zeroBlock) : isZero(block);
        const sha =
          zero && block.length === this.#shaBytes
            ? this.#zeroSha
            : createHash('sha256').update(block).digest('hex');
        const index = shas.push(sha) - 1;
        const keep = parentShas ? parentShas[index] !== sha : !zero;
        if (keep && runStart < 0) runStart = i;
        if (!keep && runStart >= 0) {
          await append(buf.subarray(runStart, i), base + runStart);
          runStart = -1;
        }
      }
      if (runStart >= 0) await append(buf.subarray(runStart), base + runStart);
    };

    let position = 0;
    let carry: Buffer | null = null;
    let sinceCheck = 0;
    try {
      for await (const chunk of reader.chunks()) {
        const data: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
        const whole = data.length - (data.length % this.#shaBytes);
        if (whole > 0) await consume(data.subarray(0, whole), position);
        position += whole;
        carry = whole < data.length ? Buffer.from(data.subarray(whole)) : null;
        sinceCheck += chunk.length;
        opts.onProgress?.({ bytesRead: position + (carry?.length ?? 0), objects: objects.length });
        if (sinceCheck >= CANCEL_CHECK_BYTES) {
          sinceCheck = 0;
          if (await opts.isCanceled()) {
            await closeCurrent();
            await this.deleteBackup({ ...b, container, service_metadata: prefix });
            return null;
          }
        }
      }
      if (carry) await consume(carry, position);
      await closeCurrent();
      opts.onProgress?.({ bytesRead: position + (carry?.length ?? 0), objects: objects.length });
    } catch (e) {
      await closeCurrent().catch(() => {});
      throw e;
    }
    if (await opts.isCanceled()) {
      await this.deleteBackup({ ...b, container, service_metadata: prefix });
      return null;
    }
    const common = {
      version: DRIVER_VERSION,
      backup_id: b.id,
      volume_id: b.volume_id,
      backup_name: b.display_name,
      backup_description: b.display_description,
      created_at: pythonDatetime(b.created_at),
    };
    await this.#writeWhole(
      container,
      `${prefix}_sha256file`,
      sortedJson({ ...common, chunk_size: this.#shaBytes, sha256s: shas }),
    );
    const metadata: BackupMetadataFile = {
      ...common,
      objects,
      parent_id: b.parent_id,
      volume_meta: opts.volumeMeta,
    };
    await this.#writeWhole(container, `${prefix}_metadata`, sortedJson(metadata));
    return { container, service_metadata: prefix, object_count: objects.length };
  }

  async #writeWhole(container: string, name: string, text: string): Promise<void> {
    const w = this.store.writer(container, name);
    w.end(Buffer.from(text, 'utf8'));
    await once(w, 'close');
  }

  async #readJson<T>(b: DriverBackup, suffix: string): Promise<T> {
    if (!b.container || !b.service_metadata) throw new InvalidBackup(`Backup ${b.id} has no stored data`);
    const text = await this.store.readWhole(b.container, `${b.service_metadata}${suffix}`);
    return JSON.parse(text.toString('utf8')) as T;
  }

  async #readSha256File(b: DriverBackup): Promise<{ chunk_size: number; sha256s: string[] }> {
    return this.#readJson(b, '_sha256file');
  }

  async readMetadata(b: DriverBackup): Promise<BackupMetadataFile> {
    return this.#readJson(b, '_metadata');
  }

  async restore(
    chain: readonly DriverBackup[],
    writer: DeviceWriter,
    opts: RestoreRunOptions,
  ): Promise<string | null> {
    let volumeMeta: string | null = null;
    // Every layer's metadata first: what the restore has to write is known before it starts.
    const layers: { layer: DriverBackup; metadata: BackupMetadataFile }[] = [];
    for (const layer of chain) layers.push({ layer, metadata: await this.readMetadata(layer) });
    const entries = layers.flatMap(({ metadata }) => metadata.objects.map((o) => Object.values(o)[0]!));
    const totalBytes = entries.reduce((n, o) => n + o.length, 0);
    const progress = { bytes: 0, objects: 0, totalBytes, totalObjects: entries.length };
    opts.onProgress?.({ ...progress });
    for (const [i, { layer, metadata }] of layers.entries()) {
      if (typeof metadata.volume_meta === 'string' && metadata.volume_meta !== '')
        volumeMeta = metadata.volume_meta;
      if (metadata.version !== DRIVER_VERSION)
        throw new InvalidBackup(`No support to restore backup version ${metadata.version}`);
      const listed = metadata.objects.flatMap((o) => Object.keys(o)).sort();
      const prefix = layer.service_metadata!;
      const stored = (await this.store.entries(layer.container!, prefix))
        .filter((n) => n !== `${prefix}_metadata` && n !== `${prefix}_sha256file`)
        .sort();
      if (stored.length !== listed.length || stored.some((n, k) => n !== listed[k]))
        throw new InvalidBackup(
          'restore_backup aborted, actual object list does not match object list stored in metadata.',
        );
      // The full backup at the bottom of the chain skipped zero blocks: those become zeros again.
      if (i === 0)
        await this.#zeroGaps(metadata, writer, Math.min((layer.size ?? 0) * GiB, opts.targetBytes));
      for (const entry of metadata.objects) {
        if (await opts.isCanceled()) throw new BackupRestoreCancel(chain.at(-1)!.id, 'restore target');
        const [name, obj] = Object.entries(entry)[0]!;
        await this.#restoreObject(layer.container!, name, obj, writer);
        progress.bytes += obj.length;
        progress.objects += 1;
        opts.onProgress?.({ ...progress });
      }
    }
    return volumeMeta;
  }

  async #zeroGaps(metadata: BackupMetadataFile, writer: DeviceWriter, end: number): Promise<void> {
    const spans = metadata.objects
      .map((o) => Object.values(o)[0]!)
      .map((o) => [o.offset, o.offset + o.length] as const)
      .sort((a, b) => a[0] - b[0]);
    let at = 0;
    for (const [from, to] of spans) {
      if (from > at) await writer.zero(at, Math.min(from, end) - at);
      at = Math.max(at, to);
      if (at >= end) return;
    }
    if (at < end) await writer.zero(at, end - at);
  }

  async #restoreObject(
    container: string,
    name: string,
    obj: ObjectEntry,
    writer: DeviceWriter,
  ): Promise<void> {
    const compression = (obj.compression ?? 'none').toLowerCase();
    const compressed = compression === 'zlib' || compression === 'gzip';
    // NOTE: checked before the object is opened, so a refusal leaves nothing open.
    if (!compressed && !['none', 'off', 'no'].includes(compression))
      throw new InvalidBackup(`unsupported compression algorithm: ${compression}`);
    let at = obj.offset;
    let writeError: unknown = null;
    const sink = async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) {
        try {
          await writer.write(chunk, at);
        } catch (e) {
          writeError = e;
          throw e;
        }
        at += chunk.length;
      }
    };
    // NOTE: pipeline, not pipe(): when a write fails, every stream is destroyed, the file's read
    // stream included, so its descriptor is closed (a deleted backup's space is then freed).
    const file = this.store.reader(container, name);
    try {
      if (compressed) await pipeline(file, createInflate(), sink);
      else await pipeline(file, sink);
    } catch (e) {
      // NOTE: the sink leaving its loop early aborts the streams before its own rejection is
      // seen; report the write's error, not that AbortError.
      throw writeError ?? e;
    }
    if (at - obj.offset !== obj.length)
      throw new InvalidBackup(
        `object ${name} holds ${at - obj.offset} bytes, its metadata says ${obj.length}`,
      );
  }

  async deleteBackup(b: DriverBackup): Promise<void> {
    if (!b.container || !b.service_metadata) return;
    let names: string[] = [];
    try {
      names = await this.store.entries(b.container, b.service_metadata);
    } catch {
      // NOTE: as Cinder: an unlistable container is logged and the delete goes on.
    }
    for (const name of names) await this.store.deleteObject(b.container, name);
    await this.store.pruneContainer(b.container);
  }

  exportRecord(): Record<string, unknown> {
    return {};
  }

  async importRecord(b: DriverBackup): Promise<void> {
    try {
      await this.readMetadata(b);
    } catch (e) {
      throw new InvalidBackup(
        `the data of backup ${b.id} is not in ${this.store.root} (container ${b.container}): ${(e as Error).message}`,
      );
    }
  }
}

function isZero(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

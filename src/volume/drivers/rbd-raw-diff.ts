/**
 * A raw image as Ceph's "rbd diff v1" stream, the input of `rbd import-diff`: how a restore writes a
 * whole image into an RBD image that already exists (`rbd import` only makes new images). Blocks
 * of zeros become zero records, which librbd applies by deallocating or zeroing (a new volume
 * stays thin, old data under them reads as zeros); the rest become write records.
 *
 * The stream has no from-snapshot, no to-snapshot and no size record: the image keeps its
 * snapshots and its size, and only its content changes.
 */

/** `rbd diff v1` framing (src/tools/rbd/Utils.h in Ceph): banner, one-byte tags, u64 LE fields. */
export const RBD_DIFF_BANNER = 'rbd diff v1\n';
const TAG_WRITE = 0x77; // 'w' offset length data
const TAG_ZERO = 0x7a; // 'z' offset length
const TAG_END = 0x65; // 'e'

export interface RawToDiffOptions {
  /** Bytes the raw image must have: a shorter or longer input is an error and gets no end tag. */
  readonly sizeBytes: number;
  /** Granularity of the zero check; also the `--sparse-size` to give `rbd import-diff`. */
  readonly blockBytes: number;
  /** Largest write record (`rbd import-diff` holds one record in memory). */
  readonly maxWriteBytes: number;
}

export const DEFAULT_RAW_TO_DIFF: Omit<RawToDiffOptions, 'sizeBytes'> = {
  blockBytes: 64 * 1024,
  maxWriteBytes: 4 * 1024 * 1024,
};

function extentHeader(tag: number, offset: number, length: number): Buffer {
  const b = Buffer.alloc(17);
  b[0] = tag;
  b.writeBigUInt64LE(BigInt(offset), 1);
  b.writeBigUInt64LE(BigInt(length), 9);
  return b;
}

/** Raised when the input is not `sizeBytes` long. */
export class RawImageSizeMismatch extends Error {
  constructor(expected: number, got: string) {
    super(`raw image is ${got} bytes, expected ${expected}`);
    this.name = 'RawImageSizeMismatch';
  }
}

/**
 * The diff stream for the raw image read from `source` (chunks of any size, in order). Yields the
 * banner, merged zero and write records, and the end tag only once exactly `sizeBytes` were read.
 * @throws RawImageSizeMismatch when the input is shorter or longer than `sizeBytes`
 */
export async function* rawToRbdDiff(
  source: AsyncIterable<Buffer>,
  opts: RawToDiffOptions,
): AsyncGenerator<Buffer> {
  const { sizeBytes, blockBytes, maxWriteBytes } = opts;
  const zeros = Buffer.alloc(blockBytes);
  yield Buffer.from(RBD_DIFF_BANNER, 'latin1');

  let offset = 0; // bytes classified so far
  let runStart = 0; // start of the pending run
  let zeroRun = 0; // length of a pending zero run
  let dataRun: Buffer[] = []; // blocks of a pending write run
  let dataLength = 0;

  function* flush(): Generator<Buffer> {
    if (zeroRun > 0) yield extentHeader(TAG_ZERO, runStart, zeroRun);
    if (dataLength > 0) {
      yield extentHeader(TAG_WRITE, runStart, dataLength);
      yield* dataRun;
    }
    zeroRun = 0;
    dataRun = [];
    dataLength = 0;
    runStart = offset;
  }

  function* block(b: Buffer): Generator<Buffer> {
    const isZero = b.equals(b.length === blockBytes ? zeros : zeros.subarray(0, b.length));
    if (isZero ? dataLength > 0 : zeroRun > 0 || dataLength + b.length > maxWriteBytes) yield* flush();
    if (isZero) zeroRun += b.length;
    else {
      dataRun.push(b);
      dataLength += b.length;
    }
    offset += b.length;
  }

  // NOTE: blocks are cut at multiples of blockBytes from the image's start, whatever the chunks.
  let carry = Buffer.alloc(0);
  let read = 0;
  for await (const chunk of source) {
    read += chunk.length;
    if (read > sizeBytes) throw new RawImageSizeMismatch(sizeBytes, `more than ${sizeBytes}`);
    let at = 0;
    if (carry.length > 0) {
      const take = Math.min(blockBytes - carry.length, chunk.length);
      carry = Buffer.concat([carry, chunk.subarray(0, take)]);
      at = take;
      if (carry.length < blockBytes) continue;
      yield* block(carry);
      carry = Buffer.alloc(0);
    }
    for (; at + blockBytes <= chunk.length; at += blockBytes)
      yield* block(chunk.subarray(at, at + blockBytes));
    if (at < chunk.length) carry = Buffer.from(chunk.subarray(at));
  }
  if (read < sizeBytes) throw new RawImageSizeMismatch(sizeBytes, String(read));
  if (carry.length > 0) yield* block(carry);
  yield* flush();
  yield Buffer.from([TAG_END]);
}

/**
 * The integrity check of a download, as glanceclient's `images.data()` makes it: the image's
 * "multihash" (`os_hash_algo` + `os_hash_value`), else its md5 `checksum`, else the answer's
 * Content-MD5; without any of them the data is not checked. A mismatch is found when the last byte
 * has gone through, and fails the stream with `ImageChecksumMismatch`.
 */
import { createHash, getHashes, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ImageChecksumMismatch, ImageDownloadFailed } from '../common/errors.js';

/** A digest to compare with: a node hash name (`sha512`, `md5`) and lower-case hex. */
export interface ImageDigest {
  readonly algorithm: string;
  readonly value: string;
}

/** Python's hashlib names (`sha3_512`) as node's (`sha3-512`); null when node has no such hash. */
export function nodeHashName(algo: string): string | null {
  const name = algo.toLowerCase().replace(/^sha3_/, 'sha3-');
  return getHashes().includes(name) ? name : null;
}

/**
 * What the data of `image` must hash to. An `os_hash_algo` node does not know falls back to the
 * md5 `checksum` (glanceclient's `allow_md5_fallback`; Cinder would fail instead).
 * @throws ImageDownloadFailed for an unknown algorithm without an md5 to fall back on
 */
export function expectedDigest(
  image: {
    readonly id?: string;
    readonly checksum?: string | null;
    readonly os_hash_algo?: string | null;
    readonly os_hash_value?: string | null;
  },
  contentMd5?: string | null,
): ImageDigest | null {
  if (image.os_hash_value && image.os_hash_algo) {
    const algorithm = nodeHashName(image.os_hash_algo);
    if (algorithm) return { algorithm, value: image.os_hash_value.toLowerCase() };
    if (!image.checksum)
      throw new ImageDownloadFailed(image.id ?? '', `unsupported hash type ${image.os_hash_algo}`);
  }
  if (image.checksum) return { algorithm: 'md5', value: image.checksum.toLowerCase() };
  if (contentMd5) return { algorithm: 'md5', value: contentMd5.toLowerCase() };
  return null;
}

/**
 * A pass-through stream that hashes what goes through and, at the end, fails with
 * `ImageChecksumMismatch` unless the digest is `expected`. `digest` holds the hex digest once it
 * has ended.
 */
export class DigestVerifier extends Transform {
  #hash: Hash;
  #bytes = 0;
  digest: string | null = null;

  constructor(
    readonly imageHref: string,
    readonly expected: ImageDigest,
  ) {
    super();
    this.#hash = createHash(expected.algorithm);
  }

  /** Bytes seen so far. */
  get bytes(): number {
    return this.#bytes;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#hash.update(chunk);
    this.#bytes += chunk.length;
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.digest = this.#hash.digest('hex');
    if (this.digest === this.expected.value) cb();
    else
      cb(
        new ImageChecksumMismatch(this.imageHref, this.expected.algorithm, this.expected.value, this.digest),
      );
  }
}

/** The hex digest of everything `source` yields. */
export async function digestOf(source: AsyncIterable<Buffer | string>, algorithm: string): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of source) hash.update(chunk);
  return hash.digest('hex');
}

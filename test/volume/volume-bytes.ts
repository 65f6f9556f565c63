import { openSync, closeSync, writeSync, readSync, statSync } from 'node:fs';

export const MiB = 1024 ** 2;

/** `len` bytes that differ per seed and are never runs of zeros (so a sparse copy keeps them). */
export function pattern(seed: number, len = MiB): Buffer {
  const buf = Buffer.alloc(len);
  let x = (seed * 2654435761 + 1) >>> 0 || 1;
  for (let i = 0; i < len; i += 4) {
    // xorshift32
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    buf.writeUInt32LE(x, i);
  }
  return buf;
}

/** Writes `data` at `offset` of an existing file with plain positioned I/O (as a guest would). */
export function writeAt(path: string, offset: number, data: Buffer): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, data, 0, data.length, offset);
  } finally {
    closeSync(fd);
  }
}

export function readAt(path: string, offset: number, len = MiB): Buffer {
  const buf = Buffer.alloc(len);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, len, offset);
  } finally {
    closeSync(fd);
  }
  return buf;
}

/** Bytes the file really occupies on disk (holes excluded). */
export function allocatedBytes(path: string): number {
  return statSync(path).blocks * 512;
}

/** Whether the file reads as zeros at `offset` (a hole or zero-filled). */
export function isZeroAt(path: string, offset: number, len = MiB): boolean {
  return readAt(path, offset, len).equals(Buffer.alloc(len));
}

/**
 * The raw image → "rbd diff v1" conversion used to restore into an existing RBD image, without a
 * cluster: the stream is decoded here as `rbd import-diff` reads it and applied over old content,
 * which must then equal the raw image; and rbd-import-raw.ts, the program around it, is run with
 * a stand-in command that keeps the stream or fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import {
  RBD_DIFF_BANNER,
  RawImageSizeMismatch,
  rawToRbdDiff,
  type RawToDiffOptions,
} from '../../../src/volume/drivers/rbd-raw-diff.js';

type DiffRecord = { tag: 'w'; offset: number; data: Buffer } | { tag: 'z'; offset: number; length: number };

/** Parses a diff stream as `rbd import-diff` does; `ended` tells whether the end tag came. */
function decode(stream: Buffer): { records: DiffRecord[]; ended: boolean } {
  assert.equal(stream.subarray(0, RBD_DIFF_BANNER.length).toString('latin1'), RBD_DIFF_BANNER);
  const records: DiffRecord[] = [];
  let at = RBD_DIFF_BANNER.length;
  while (at < stream.length) {
    const tag = String.fromCharCode(stream[at]!);
    if (tag === 'e') {
      assert.equal(at + 1, stream.length, 'nothing after the end tag');
      return { records, ended: true };
    }
    assert.ok(tag === 'w' || tag === 'z', `unexpected tag ${tag}`);
    const offset = Number(stream.readBigUInt64LE(at + 1));
    const length = Number(stream.readBigUInt64LE(at + 9));
    at += 17;
    if (tag === 'w') {
      records.push({ tag, offset, data: stream.subarray(at, at + length) });
      at += length;
    } else records.push({ tag, offset, length });
  }
  return { records, ended: false };
}

/** What the image holds after applying `records` over `old`. */
function apply(old: Buffer, records: DiffRecord[]): Buffer {
  const img = Buffer.from(old);
  for (const r of records) {
    if (r.tag === 'w') r.data.copy(img, r.offset);
    else img.fill(0, r.offset, r.offset + r.length);
  }
  return img;
}

async function* chunked(raw: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    if (c > at && c < raw.length) {
      yield raw.subarray(at, c);
      at = c;
    }
  }
  if (at < raw.length) yield raw.subarray(at);
}

async function convert(source: AsyncIterable<Buffer>, opts: RawToDiffOptions): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const b of rawToRbdDiff(source, opts)) out.push(Buffer.from(b));
  return Buffer.concat(out);
}

/** A raw image made of zero and data pieces (each piece a whole number of bytes, any alignment). */
const rawImage = fc
  .array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 255 })), {
    maxLength: 12,
  })
  .map((pieces) => Buffer.concat(pieces.map(([zero, len, byte]) => Buffer.alloc(len, zero ? 0 : byte))));

test('applied over any old content, the stream gives back the raw image; records are well formed', async () => {
  await fc.assert(
    fc.asyncProperty(
      rawImage,
      fc.array(fc.nat({ max: 900 }), { maxLength: 8 }),
      fc.integer({ min: 1, max: 255 }),
      async (raw, cuts, oldByte) => {
        const opts = { sizeBytes: raw.length, blockBytes: 16, maxWriteBytes: 48 };
        const { records, ended } = decode(await convert(chunked(raw, cuts), opts));
        assert.ok(ended);
        assert.deepEqual(apply(Buffer.alloc(raw.length, oldByte), records), raw);
        let next = 0;
        records.forEach((r, i) => {
          const length = r.tag === 'w' ? r.data.length : r.length;
          assert.equal(r.offset, next, 'records follow each other from offset 0');
          next += length;
          assert.equal(r.offset % opts.blockBytes, 0, 'records start on a block');
          if (r.tag === 'w') {
            assert.ok(length <= opts.maxWriteBytes);
            for (let b = 0; b < length; b += opts.blockBytes)
              assert.ok(
                r.data.subarray(b, b + opts.blockBytes).some((x) => x !== 0),
                'no zero block is sent',
              );
          } else assert.notEqual(records[i + 1]?.tag, 'z', 'zero runs are merged');
        });
        assert.equal(next, raw.length);
      },
    ),
  );
});

test('a sparse image is a few records: one zero record per hole, whatever its size', async () => {
  const raw = Buffer.alloc(8 * 1024 * 1024);
  raw.write('head', 10);
  raw.write('tail', raw.length - 4);
  const opts = { sizeBytes: raw.length, blockBytes: 64 * 1024, maxWriteBytes: 4 * 1024 * 1024 };
  const { records } = decode(await convert(chunked(raw, [1000, 65536 * 3 + 7]), opts));
  assert.deepEqual(
    records.map((r) => [r.tag, r.offset, r.tag === 'w' ? r.data.length : r.length]),
    [
      ['w', 0, 65536],
      ['z', 65536, raw.length - 2 * 65536],
      ['w', raw.length - 65536, 65536],
    ],
  );
});

test('an input shorter or longer than the size fails before the end tag', async () => {
  const opts = { blockBytes: 16, maxWriteBytes: 64 };
  for (const [size, input] of [
    [100, Buffer.alloc(99, 1)],
    [100, Buffer.alloc(101, 1)],
  ] as const) {
    const out: Buffer[] = [];
    await assert.rejects(async () => {
      for await (const b of rawToRbdDiff(chunked(input, [50]), { ...opts, sizeBytes: size })) out.push(b);
    }, RawImageSizeMismatch);
    assert.equal(decode(Buffer.concat(out)).ended, false);
  }
});

// ---- the program ----

const PROGRAM = fileURLToPath(new URL('../../../src/volume/drivers/rbd-import-raw.ts', import.meta.url));

/** Runs rbd-import-raw with `input` on stdin; resolves with its exit status and stderr. */
function runProgram(input: Buffer, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), PROGRAM, ...args], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stderr }));
    p.stdin.on('error', () => {}); // a program that stops reading early
    p.stdin.end(input);
  });
}

test('rbd-import-raw feeds the diff to the command and exits with its status', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rbd-import-raw-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'diff');
  const raw = Buffer.alloc(300 * 1024);
  raw.fill(7, 100 * 1024, 100 * 1024 + 5);

  const ok = await runProgram(raw, [String(raw.length), 'sh', '-c', `cat > ${out}`]);
  assert.deepEqual(ok, { code: 0, stderr: '' });
  const { records, ended } = decode(readFileSync(out));
  assert.ok(ended);
  assert.deepEqual(apply(Buffer.alloc(raw.length, 9), records), raw);

  const failing = await runProgram(raw, [
    String(raw.length),
    'sh',
    '-c',
    'echo "rbd: no such image" >&2; exit 2',
  ]);
  assert.equal(failing.code, 2);
  assert.match(failing.stderr, /rbd: no such image/);

  const short = await runProgram(raw.subarray(1), [String(raw.length), 'sh', '-c', `cat > ${out}`]);
  assert.equal(short.code, 1);
  assert.match(short.stderr, new RegExp(`raw image is ${raw.length - 1} bytes, expected ${raw.length}`));
  assert.equal(decode(readFileSync(out)).ended, false, 'the command never saw an end tag');

  const missing = await runProgram(raw, [String(raw.length), join(dir, 'no-such-rbd')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /ENOENT/);
});

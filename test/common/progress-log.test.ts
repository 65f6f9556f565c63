/** Progress lines of long operations (progress-log.ts): counted streams and sampled work. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { countingProgress, progressText, whileLogging } from '../../src/common/progress-log.js';

const MiB = 1024 * 1024;

function recorder() {
  const lines: { obj: Record<string, unknown>; msg: string }[] = [];
  return {
    lines,
    log: { info: (obj: object, msg: string) => lines.push({ obj: obj as Record<string, unknown>, msg }) },
  };
}

test('progressText: done, total, percent and rate', () => {
  assert.equal(progressText(5 * MiB, 10 * MiB, 2), '5.0 of 10.0 MiB (50%), 2.5 MiB/s');
  assert.equal(progressText(3 * MiB, null, 0), '3.0 MiB, 0.0 MiB/s');
});

test('a counted stream logs while bytes go through, no more often than asked', async () => {
  const { lines, log } = recorder();
  async function* slow() {
    for (let i = 0; i < 6; i++) {
      await sleep(30);
      yield Buffer.alloc(MiB);
    }
  }
  let got = 0;
  await pipeline(
    Readable.from(slow()),
    countingProgress({ log, intervalSeconds: 0.05 }, 'Downloading image i1', 6 * MiB, { image_id: 'i1' }),
    new Writable({
      write(chunk: Buffer, _e, cb) {
        got += chunk.length;
        cb();
      },
    }),
  );
  assert.equal(got, 6 * MiB);
  assert.ok(lines.length >= 1 && lines.length <= 4, `${lines.length} lines`);
  assert.match(lines[0]!.msg, /^Downloading image i1: \d\.0 of 6\.0 MiB \(\d+%\), [\d.]+ MiB\/s$/);
  assert.equal(lines[0]!.obj.image_id, 'i1');
});

test('work that takes a while is sampled; quick work or interval 0 logs nothing', async () => {
  const { lines, log } = recorder();
  let size = 0;
  const work = (async () => {
    for (let i = 0; i < 5; i++) {
      await sleep(40);
      size += MiB;
    }
    return 'done';
  })();
  const result = await whileLogging({ log, intervalSeconds: 0.05 }, 'migration: copying', work, {
    total: 5 * MiB,
    sample: async () => size,
  });
  assert.equal(result, 'done');
  assert.ok(lines.length >= 2, `${lines.length} lines`);
  assert.match(
    lines[0]!.msg,
    /^migration: copying: [\d.]+ of 5\.0 MiB \(\d+%\), [\d.]+ MiB\/s, \d+ s so far$/,
  );
  const before = lines.length;
  await whileLogging({ log, intervalSeconds: 0 }, 'x', sleep(80));
  await whileLogging(undefined, 'x', sleep(10));
  await sleep(60);
  assert.equal(lines.length, before);
});

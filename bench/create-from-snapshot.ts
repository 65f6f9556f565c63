/**
 * Create-from-snapshot time of the `file` backend, copy-on-write vs copy:
 *
 *     sudo npx tsx bench/create-from-snapshot.ts [--size-gb 10] [--written-gb 1] [--runs 3]
 *
 * For each storage directory — one on an xfs filesystem (`-m reflink=1`) in a loop-mounted image
 * this script makes and removes (root and xfsprogs needed; skipped otherwise), one under the OS
 * temp dir (ext4 here: sparse copy) — it starts an embedded Kindling whose backend lives there,
 * creates a `--size-gb` volume, writes `--written-gb` of data into its file with plain file I/O,
 * snapshots it, and times `POST /volumes {snapshot_id}` → `available` (API → scheduler → volume
 * service → driver copy), `--runs` times. Prints a table of the median and the range.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, writeSync, closeSync, fsyncSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { startEmbedded } from '../src/service/embedded.js';
import {
  SIZE_OPTIONS,
  sizes,
  median,
  req,
  snapshotOf,
  timeCreateFromSnapshot,
  waitFor,
  waitForPools,
} from './lib/create-from-snapshot.js';

const { values } = parseArgs({ options: { ...SIZE_OPTIONS } });
const { SIZE, WRITTEN, RUNS } = sizes(values);

/** Writes `gb` GiB of non-zero data spread over the file (1 MiB chunks at a stride). */
function writeData(file: string, sizeGb: number, gb: number): void {
  const chunk = Buffer.alloc(1 << 20, 0x5a);
  const chunks = gb * 1024;
  const stride = Math.floor((sizeGb * 1024) / chunks);
  const fd = openSync(file, 'r+');
  for (let i = 0; i < chunks; i++) writeSync(fd, chunk, 0, chunk.length, i * stride * (1 << 20));
  fsyncSync(fd);
  closeSync(fd);
}

async function measure(label: string, dir: string): Promise<{ label: string; ms: number[]; method: string }> {
  const state = mkdtempSync(join(tmpdir(), 'kindling-bench-state-'));
  const k = await startEmbedded(
    loadConfig({
      env: {
        KINDLING_STATE_DIR: state,
        KINDLING__file__file_volume_dir: dir,
        KINDLING__DEFAULT__quota_gigabytes: '-1',
      },
    }),
    { log: pino({ level: 'silent' }) },
  );
  try {
    await waitForPools(k, 1);
    const src = (await req(k, 'POST', '/v3/admin/volumes', { volume: { size: SIZE } })).body.volume.id;
    await waitFor(k, 'volumes', src, 'available');
    writeData(join(dir, `volume-${src}`), SIZE, WRITTEN);
    const snap = await snapshotOf(k, src);
    const ms = await timeCreateFromSnapshot(k, snap, RUNS);
    const pools = (await req(k, 'GET', '/v3/admin/scheduler-stats/get_pools?detail=true')).body.pools;
    const method = pools[0].capabilities.reflink_support ? 'reflink' : 'sparse copy';
    return { label, ms, method };
  } finally {
    await k.close();
    rmSync(state, { recursive: true, force: true });
  }
}

function xfsMount(): { dir: string; cleanup: () => void } | null {
  try {
    execFileSync('sh', ['-c', 'command -v mkfs.xfs && [ "$(id -u)" = 0 ]'], { stdio: 'ignore' });
  } catch {
    return null;
  }
  const base = mkdtempSync(join(tmpdir(), 'kindling-bench-xfs-'));
  const img = join(base, 'xfs.img');
  const mnt = join(base, 'mnt');
  execFileSync('sh', [
    '-c',
    `truncate -s ${SIZE * 3 + 2}G ${img} && mkfs.xfs -q -f -m reflink=1 ${img} && mkdir ${mnt} && mount -o loop ${img} ${mnt}`,
  ]);
  return {
    dir: mnt,
    cleanup: () => {
      execFileSync('umount', [mnt]);
      rmSync(base, { recursive: true, force: true });
    },
  };
}

const rows: { label: string; ms: number[]; method: string }[] = [];
const xfs = xfsMount();
if (xfs) {
  try {
    rows.push(await measure('xfs (loop, reflink=1)', xfs.dir));
  } finally {
    xfs.cleanup();
  }
} else console.error('xfs skipped: needs root and mkfs.xfs (xfsprogs)');
const plain = mkdtempSync(join(tmpdir(), 'kindling-bench-ext4-'));
try {
  rows.push(
    await measure(
      `${execFileSync('findmnt', ['-no', 'FSTYPE', '-T', plain]).toString().trim()} (state dir)`,
      plain,
    ),
  );
} finally {
  rmSync(plain, { recursive: true, force: true });
}
console.log(`\ncreate-from-snapshot, ${SIZE} GiB volume with ${WRITTEN} GiB written, ${RUNS} runs\n`);
console.log('| filesystem | copy | median | min – max |');
console.log('|---|---|---|---|');
for (const r of rows)
  console.log(
    `| ${r.label} | ${r.method} | ${median(r.ms).toFixed(0)} ms | ${Math.min(...r.ms).toFixed(0)} – ${Math.max(...r.ms).toFixed(0)} ms |`,
  );

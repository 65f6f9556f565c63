/**
 * Create-from-snapshot time of the `rbd` backend (the companion of bench/create-from-snapshot.ts,
 * which measures the `file` backend):
 *
 *     npx tsx bench/create-from-snapshot-rbd.ts [--size-gb 10] [--written-gb 1] [--runs 3] [--ceph-dir DIR]
 *
 * Starts a throwaway single-node Ceph with scripts/ceph-up.sh (installs the ceph packages the
 * first time; root or sudo) in a temporary directory on free ports and removes it at the end — or
 * uses the running one of `--ceph-dir` (made by ceph-up.sh, pool `volumes`). Then an embedded
 * Kindling with two rbd backends on that pool: `clone` (Cinder's default: a copy-on-write clone of
 * the snapshot) and `flatten` (`rbd_flatten_volume_from_snapshot = true`: the clone is then
 * flattened, a full copy inside Ceph). On each it creates a `--size-gb` volume, writes
 * `--written-gb` of data into it (1 MiB at a regular stride, with `rbd import-diff`), snapshots it,
 * and times `POST /volumes {snapshot_id}` → `available` (API → scheduler → volume service → rbd
 * CLI), `--runs` times. Prints a table of the median and the range.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { startEmbedded, type Embedded } from '../src/service/embedded.js';
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

const { values } = parseArgs({ options: { ...SIZE_OPTIONS, 'ceph-dir': { type: 'string' } } });
const { SIZE, WRITTEN, RUNS } = sizes(values);
const SCRIPTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'scripts');
const POOL = 'volumes';
const MiB = 1 << 20;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A running cluster: the given one, or a new one made here (and removed by `stop`). */
async function ceph(): Promise<{ dir: string; stop: () => void }> {
  if (values['ceph-dir']) return { dir: values['ceph-dir'], stop: () => undefined };
  const dir = mkdtempSync(join(tmpdir(), 'kindling-bench-ceph-'));
  // NOTE: the OSD file is sparse; keep it far above what is written (a full OSD aborts).
  const osdGb = Math.max(20, WRITTEN * 4 * 3);
  const up = spawnSync('bash', [join(SCRIPTS, 'ceph-up.sh'), dir, `${osdGb}G`], {
    env: {
      ...process.env,
      CEPH_MON_PORT: String(await freePort()),
      CEPH_MON_PORT2: String(await freePort()),
      CEPH_POOL: POOL,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (up.status !== 0) throw new Error(`scripts/ceph-up.sh failed (${up.status})`);
  return { dir, stop: () => spawnSync('bash', [join(SCRIPTS, 'ceph-down.sh'), dir]) };
}

/**
 * Writes `gb` GiB of non-zero data into an image, 1 MiB at a regular stride, as one `rbd
 * import-diff` stream ("rbd diff v1": header, image size, one write record per MiB, end).
 */
async function writeData(conf: string, image: string, sizeGb: number, gb: number): Promise<void> {
  const chunks = gb * 1024;
  const stride = Math.floor((sizeGb * 1024) / chunks) * MiB;
  const data = Buffer.alloc(MiB, 0x5a);
  const p = spawn('rbd', ['--conf', conf, 'import-diff', '--no-progress', '-', `${POOL}/${image}`], {
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  const done = new Promise<void>((resolve, reject) =>
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`rbd import-diff exited ${code}`)))),
  );
  const put = (b: Buffer) =>
    p.stdin.write(b) ? Promise.resolve() : new Promise<void>((res) => p.stdin.once('drain', () => res()));
  const size = Buffer.alloc(9);
  size.write('s');
  size.writeBigUInt64LE(BigInt(sizeGb) << 30n, 1);
  await put(Buffer.concat([Buffer.from('rbd diff v1\n'), size]));
  for (let i = 0; i < chunks; i++) {
    const w = Buffer.alloc(17);
    w.write('w');
    w.writeBigUInt64LE(BigInt(i * stride), 1);
    w.writeBigUInt64LE(BigInt(MiB), 9);
    await put(w);
    await put(data);
  }
  p.stdin.end(Buffer.from('e'));
  await done;
}

async function measure(k: Embedded, conf: string, backend: string): Promise<number[]> {
  const type = (
    await req(k, 'POST', '/v3/admin/types', {
      volume_type: { name: backend, extra_specs: { volume_backend_name: backend } },
    })
  ).body.volume_type.id;
  const src = (await req(k, 'POST', '/v3/admin/volumes', { volume: { size: SIZE, volume_type: type } })).body
    .volume.id;
  await waitFor(k, 'volumes', src, 'available');
  await writeData(conf, `volume-${src}`, SIZE, WRITTEN);
  const snap = await snapshotOf(k, src);
  return timeCreateFromSnapshot(k, snap, RUNS);
}

const cluster = await ceph();
const conf = join(cluster.dir, 'ceph.conf');
const state = mkdtempSync(join(tmpdir(), 'kindling-bench-state-'));
const rows: { label: string; ms: number[] }[] = [];
try {
  const k = await startEmbedded(
    loadConfig({
      env: {
        KINDLING_STATE_DIR: state,
        KINDLING__DEFAULT__enabled_backends: 'clone,flatten',
        KINDLING__DEFAULT__quota_gigabytes: '-1',
        KINDLING__clone__volume_driver: 'rbd',
        KINDLING__clone__rbd_pool: POOL,
        KINDLING__clone__rbd_ceph_conf: conf,
        KINDLING__flatten__volume_driver: 'rbd',
        KINDLING__flatten__rbd_pool: POOL,
        KINDLING__flatten__rbd_ceph_conf: conf,
        KINDLING__flatten__rbd_flatten_volume_from_snapshot: 'true',
      },
    }),
    { log: pino({ level: 'silent' }) },
  );
  try {
    await waitForPools(k, 2);
    rows.push({ label: 'rbd: clone (copy-on-write)', ms: await measure(k, conf, 'clone') });
    rows.push({ label: 'rbd: clone + flatten', ms: await measure(k, conf, 'flatten') });
  } finally {
    await k.close();
  }
} finally {
  rmSync(state, { recursive: true, force: true });
  cluster.stop();
}
console.log(`\ncreate-from-snapshot, ${SIZE} GiB volume with ${WRITTEN} GiB written, ${RUNS} runs\n`);
console.log('| backend | copy | median | min – max |');
console.log('|---|---|---|---|');
for (const r of rows)
  console.log(
    `| ${r.label.split(': ')[0]} | ${r.label.split(': ')[1]} | ${median(r.ms).toFixed(0)} ms | ${Math.min(...r.ms).toFixed(0)} – ${Math.max(...r.ms).toFixed(0)} ms |`,
  );

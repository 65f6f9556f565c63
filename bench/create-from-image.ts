/**
 * Create-from-image time, cold and fast, in one run:
 *
 *     npm run bench:image -- [--image-mib 1024] [--runs 3] [--ceph-dir DIR]
 *
 * Starts a throwaway Ceph (scripts/ceph-up.sh; or uses the one of `--ceph-dir`, pool `volumes`)
 * and a Glance with its file and rbd stores on it (scripts/glance-up.sh --rbd), both removed at
 * the end; makes a raw image of `--image-mib` MiB of non-zero data and uploads it twice, once to
 * each store. Then an embedded Kindling with three backends:
 * - `cold` (file driver, no cache) and `cached` (file driver, `image_volume_cache_enabled`), whose
 *   directories are on an xfs filesystem (`-m reflink=1`) in a loop-mounted image this script
 *   makes when it runs as root with xfsprogs (the cache hit is then a reflink), else under the OS
 *   temp dir (a sparse copy) — the table says which;
 * - `ceph` (rbd driver, pool `volumes`, the same cluster as Glance's `images` pool).
 * It times `POST /volumes {imageRef}` → `available` for: the file image on `cold` (download +
 * check + `qemu-img convert`), the first create on `cached` (a miss: the same, plus the cache
 * volume), then creates on `cached` (hits: a clone of the cache volume), the file image on `ceph`
 * (download + convert into RBD) and the rbd image on `ceph` (Cinder's `clone_image`: `rbd clone`
 * of the image's snapshot), and, for scale, an empty volume on each kind of backend. Each timed
 * volume is deleted before the next; the rows are measured in turn, `--runs` rounds. Prints a
 * table of the median and the range, and the load average.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { startEmbedded } from '../src/service/embedded.js';
import { createDriver, type BackendSectionOptions } from '../src/volume/drivers/index.js';
import { FileDriver } from '../src/volume/drivers/file-driver.js';
import { median, req, waitFor, waitForPools } from './lib/create-from-snapshot.js';

const { values } = parseArgs({
  options: {
    'image-mib': { type: 'string', default: '1024' },
    runs: { type: 'string', default: '3' },
    'ceph-dir': { type: 'string' },
  },
});
const IMAGE_MIB = Number(values['image-mib']);
const RUNS = Number(values.runs);
const SIZE_GB = Math.max(1, Math.ceil(IMAGE_MIB / 1024));
const SCRIPTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'scripts');
const MiB = 1 << 20;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

const cleanups: (() => void)[] = [];
function cleanupAll(): void {
  for (const c of cleanups.reverse()) {
    try {
      c();
    } catch (e) {
      console.error(`cleanup: ${(e as Error).message}`);
    }
  }
}

/** A running cluster: the given one, or a new one made here. */
async function ceph(): Promise<string> {
  if (values['ceph-dir']) return values['ceph-dir'];
  const dir = mkdtempSync(join(tmpdir(), 'kindling-bench-ceph-'));
  const osdGb = Math.max(20, SIZE_GB * 8);
  const up = spawnSync('bash', [join(SCRIPTS, 'ceph-up.sh'), dir, `${osdGb}G`], {
    env: {
      ...process.env,
      CEPH_MON_PORT: String(await freePort()),
      CEPH_MON_PORT2: String(await freePort()),
      CEPH_POOL: 'volumes',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  cleanups.push(() => spawnSync('bash', [join(SCRIPTS, 'ceph-down.sh'), dir]));
  if (up.status !== 0) throw new Error(`scripts/ceph-up.sh failed (${up.status})`);
  return dir;
}

/** A Glance with the file and rbd stores (rbd the default); its URL. */
async function glance(cephDir: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'kindling-bench-glance-'));
  const conf = join(cephDir, 'ceph.conf');
  const up = spawnSync('bash', [join(SCRIPTS, 'glance-up.sh'), dir, '--rbd'], {
    env: {
      ...process.env,
      GLANCE_PORT: String(await freePort()),
      CEPH_CONF: conf,
      CEPH_KEYRING: join(cephDir, 'ceph.client.admin.keyring'),
      GLANCE_RBD_POOL: 'images',
    },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanups.push(() => spawnSync('bash', [join(SCRIPTS, 'glance-down.sh'), dir, '--wipe']));
  if (up.status !== 0) throw new Error(`scripts/glance-up.sh failed (${up.status})`);
  return /^GLANCE_URL=(.+)$/m.exec(up.stdout)![1]!;
}

/** A raw image file of `mib` MiB, every MiB written (non-zero, each one different). */
function imageFile(dir: string, mib: number): string {
  const path = join(dir, 'image.raw');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(MiB, 0x5a);
  for (let i = 0; i < mib; i++) {
    chunk.writeUInt32LE(i, 0);
    writeSync(fd, chunk, 0, MiB, i * MiB);
  }
  closeSync(fd);
  return path;
}

/** Uploads `path` as a raw image to `store`; its id. */
async function upload(url: string, path: string, store: 'file' | 'rbd'): Promise<string> {
  const created = await fetch(`${url}/v2/images`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: `bench-${store}`, disk_format: 'raw', container_format: 'bare' }),
  });
  const id = ((await created.json()) as { id: string }).id;
  const put = await fetch(`${url}/v2/images/${id}/file`, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', 'x-image-meta-store': store },
    body: Readable.toWeb(createReadStream(path)) as ReadableStream,
    duplex: 'half',
  });
  if (put.status !== 204) throw new Error(`upload to ${store}: ${put.status} ${await put.text()}`);
  return id;
}

/** Where the file backends keep volumes: an xfs loop mount (reflink) when possible. */
function fileDir(): { dir: string; fs: string } {
  const base = mkdtempSync(join(tmpdir(), 'kindling-bench-files-'));
  cleanups.push(() => rmSync(base, { recursive: true, force: true }));
  if (process.getuid?.() !== 0 || !has('mkfs.xfs')) {
    const why = process.getuid?.() !== 0 ? 'not root' : 'no mkfs.xfs';
    return { dir: base, fs: `${fsType(base)} (${why}: no xfs loop mount)` };
  }
  const img = join(base, 'xfs.img');
  const mnt = join(base, 'mnt');
  mkdirSync(mnt);
  execFileSync('truncate', ['-s', `${SIZE_GB * 8 + 2}G`, img]);
  execFileSync('mkfs.xfs', ['-q', '-f', '-m', 'reflink=1', img]);
  execFileSync('mount', ['-o', 'loop', img, mnt]);
  cleanups.push(() => execFileSync('umount', [mnt]));
  return { dir: mnt, fs: 'xfs, reflink=1 (loop-mounted image)' };
}

function fsType(dir: string): string {
  return spawnSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).stdout.trim();
}

interface Row {
  label: string;
  how: string;
  ms: number[];
}

let exitCode = 0;
try {
  const load0 = loadavg()[0]!;
  const cephDir = await ceph();
  const url = await glance(cephDir);
  const work = mkdtempSync(join(tmpdir(), 'kindling-bench-image-'));
  cleanups.push(() => rmSync(work, { recursive: true, force: true }));
  const image = imageFile(work, IMAGE_MIB);
  const fileImage = await upload(url, image, 'file');
  const rbdImage = await upload(url, image, 'rbd');
  rmSync(image);
  const files = fileDir();
  const state = mkdtempSync(join(tmpdir(), 'kindling-bench-state-'));
  cleanups.push(() => rmSync(state, { recursive: true, force: true }));
  const drivers = new Map<string, FileDriver>();
  const conf = join(cephDir, 'ceph.conf');
  const k = await startEmbedded(
    loadConfig({
      env: {
        KINDLING_STATE_DIR: state,
        KINDLING__DEFAULT__glance_api_servers: url,
        KINDLING__DEFAULT__enabled_backends: 'cold,cached,ceph',
        KINDLING__DEFAULT__quota_gigabytes: '-1',
        KINDLING__DEFAULT__quota_volumes: '-1',
        KINDLING__DEFAULT__cinder_internal_tenant_project_id: 'kindling-internal',
        KINDLING__DEFAULT__cinder_internal_tenant_user_id: 'cache-keeper',
        KINDLING__cold__volume_driver: 'file',
        KINDLING__cold__file_volume_dir: join(files.dir, 'cold'),
        KINDLING__cached__volume_driver: 'file',
        KINDLING__cached__file_volume_dir: join(files.dir, 'cached'),
        KINDLING__cached__image_volume_cache_enabled: 'true',
        KINDLING__ceph__volume_driver: 'rbd',
        KINDLING__ceph__rbd_pool: 'volumes',
        KINDLING__ceph__rbd_ceph_conf: conf,
      },
    }),
    {
      log: pino({ level: 'silent' }),
      driverFactory: (s: BackendSectionOptions) => {
        const d = createDriver(s);
        if (d instanceof FileDriver) drivers.set(s.name, d);
        return d;
      },
    },
  );
  try {
    await waitForPools(k, 3);
    const types: Record<string, string> = {};
    for (const b of ['cold', 'cached', 'ceph'])
      types[b] = (
        await req(k, 'POST', '/v3/admin/types', {
          volume_type: { name: b, extra_specs: { volume_backend_name: b } },
        })
      ).body.volume_type.id;
    const time = async (imageId: string | null, backend: string, keep = false): Promise<number> => {
      const t0 = performance.now();
      const r = await req(k, 'POST', '/v3/admin/volumes', {
        volume: { size: SIZE_GB, volume_type: types[backend], ...(imageId ? { imageRef: imageId } : {}) },
      });
      if (r.status !== 202) throw new Error(`create: ${r.status} ${JSON.stringify(r.body)}`);
      await waitFor(k, 'volumes', r.body.volume.id, 'available');
      const ms = performance.now() - t0;
      if (!keep) await req(k, 'DELETE', `/v3/admin/volumes/${r.body.volume.id}`);
      return ms;
    };
    const rows: Row[] = [
      { label: 'file, empty volume', how: 'no image (the create path alone)', ms: [] },
      { label: 'file, cold', how: 'download + check + qemu-img convert', ms: [] },
      { label: 'file, cache miss', how: 'the same + the cache volume (a clone)', ms: [] },
      { label: 'file, cache hit', how: '', ms: [] },
      { label: 'rbd, empty volume', how: 'no image (the create path alone)', ms: [] },
      { label: 'rbd, cold', how: 'download + check + qemu-img convert into RBD', ms: [] },
      { label: 'rbd, clone_image', how: "`rbd clone` of the Glance image's snapshot + resize", ms: [] },
    ];
    rows[2]!.ms.push(await time(fileImage, 'cached'));
    const cacheCopy = drivers.get('cached')?.copyMethod() ?? 'unknown';
    for (let round = 0; round < RUNS; round++) {
      rows[0]!.ms.push(await time(null, 'cold'));
      rows[1]!.ms.push(await time(fileImage, 'cold'));
      rows[3]!.ms.push(await time(fileImage, 'cached'));
      rows[4]!.ms.push(await time(null, 'ceph'));
      rows[5]!.ms.push(await time(fileImage, 'ceph'));
      rows[6]!.ms.push(await time(rbdImage, 'ceph'));
    }
    const hitCopy = drivers.get('cached')?.copyMethod() ?? 'unknown';
    rows[3]!.how = `clone of the cache volume: ${hitCopy === 'reflink' ? 'reflink' : 'sparse copy'}`;
    const load1 = loadavg()[0]!;
    console.log(
      `\ncreate-from-image, a ${IMAGE_MIB} MiB raw image (every MiB written), ${SIZE_GB} GiB volumes, ${RUNS} rounds` +
        ` (cache miss: 1 run); file backends on ${files.fs}; cache volume made by ${cacheCopy};` +
        ` load average ${load0.toFixed(1)} at the start, ${load1.toFixed(1)} at the end\n`,
    );
    console.log('| create | how | median | min – max |');
    console.log('|---|---|---|---|');
    for (const r of rows)
      console.log(
        `| ${r.label} | ${r.how} | ${(median(r.ms) / 1000).toFixed(2)} s | ${(Math.min(...r.ms) / 1000).toFixed(2)} – ${(Math.max(...r.ms) / 1000).toFixed(2)} s |`,
      );
  } finally {
    await k.close();
  }
} catch (e) {
  console.error(e);
  exitCode = 1;
} finally {
  cleanupAll();
}
process.exit(exitCode);

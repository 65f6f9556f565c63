/**
 * Sequential throughput through an attachment of the `file` backend (its iSCSI export, served by
 * the tgtd Kindling starts) against the same volume's file read and written directly:
 *
 *     npx tsx bench/attach-iscsi.ts [--size-gb 2] [--mib 1024] [--runs 5] [--cache none,writeback]
 *
 * Starts an embedded Kindling on a temporary state dir (its own tgtd on a free `target_port`),
 * creates a `--size-gb` volume, notes its file (the volume's `provider_location` before the
 * export replaces it), and attaches it (`POST /attachments` with a connector, `os-complete`). A
 * `--mib` file of random data (no zeros, so nothing is skipped as a hole) is written once through
 * iSCSI and compared with the volume file (warm-up, and proof the bytes land there), and read back
 * with `qemu-img compare`. Then, `--runs` rounds per cache mode, each measuring the same tool,
 * `qemu-img convert`, on both paths — only the transport differs:
 *
 * - write: `qemu-img convert -n -f raw -t <cache> --target-image-opts <random file> <volume>`
 * - read:  `qemu-img convert -n -T <cache> --image-opts --target-image-opts <volume, first --mib>
 *   driver=null-co` (the data is read and dropped, so no destination disk is timed)
 *
 * where `<volume>` is `driver=raw,file.driver=iscsi,…` (portal, IQN, LUN of the connection info)
 * or `driver=raw,file.driver=file,…` (the file). The two paths alternate, and which one goes first
 * alternates from round to round (A/B, B/A, …), so drift on a shared machine hits both; the ratio
 * is taken per round. Cache modes (the volume side; the random source stays in the page cache):
 *
 * - `none`: `-t none`/`-T none`: the file is opened O_DIRECT, and a write ends with a flush
 *   (fdatasync on the file; SYNCHRONIZE CACHE over iSCSI, which tgtd's rdwr store turns into an
 *   fdatasync). The volume file's pages are dropped from the page cache (`dd oflag=nocache
 *   count=0`: fdatasync + POSIX_FADV_DONTNEED) before every measurement, so reads come from disk
 *   on both paths (tgtd reads the file through the page cache).
 * - `writeback`: buffered on both sides, a write still ends with a flush; the file's first
 *   `--mib` are read into the page cache before every measurement: the transport's own cost.
 *
 * Also, per measurement, as a share of its wall time: the CPU time of tgtd's main thread (its
 * iSCSI event loop), the time that thread waited for a CPU (schedstat), the CPU time of tgtd's
 * backing-store threads, and of qemu-img (the shell's `times`). At the end: detach, delete, stop Kindling,
 * and check no tgtd is left on its portal (exit 1 if one is). Exit 3 if tgt or qemu's iSCSI
 * driver cannot be installed here (scripts/tgt-up.sh, root or sudo).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomFillSync, randomUUID } from 'node:crypto';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { startEmbedded, type Embedded } from '../src/service/embedded.js';
import { ensureIscsiPackages, freePort, tgtdPidsFor } from '../test/volume/iscsi-client.js';
import { median, waitFor, waitForPools } from './lib/create-from-snapshot.js';
import { machineInfo } from './lib/report.js';

const USAGE = `usage: npx tsx bench/attach-iscsi.ts [--size-gb 2] [--mib 1024] [--runs 5] [--cache none,writeback]`;
const MiB = 1 << 20;
const GiB = 1 << 30;
const CACHES = ['none', 'writeback'] as const;
type Cache = (typeof CACHES)[number];
type Op = 'write' | 'read';
type Path = 'iscsi' | 'file';
const CONNECTOR = {
  initiator: 'iqn.1994-05.com.example:kindling-bench',
  ip: '127.0.0.1',
  host: 'bench',
  platform: 'x86_64',
  os_type: 'linux2',
  multipath: false,
};

function positiveInt(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${raw}`);
  return n;
}

function parseOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      'size-gb': { type: 'string', default: '2' },
      mib: { type: 'string', default: '1024' },
      runs: { type: 'string', default: '5' },
      cache: { type: 'string', default: CACHES.join(',') },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const sizeGb = positiveInt('size-gb', values['size-gb']);
  const mib = positiveInt('mib', values.mib);
  if (mib > sizeGb * 1024) throw new Error(`--mib ${mib} does not fit in a ${sizeGb} GiB volume`);
  const caches = values.cache.split(',').map((c) => c.trim());
  for (const c of caches)
    if (!(CACHES as readonly string[]).includes(c))
      throw new Error(`--cache: ${c} is not one of ${CACHES.join(', ')}`);
  return { sizeGb, mib, runs: positiveInt('runs', values.runs), caches: caches as Cache[] };
}

/** One admin request to `k` in-process at microversion 3.44 (attachments, os-complete). */
async function api(k: Embedded, method: string, url: string, body?: unknown) {
  const r = await k.app.inject({
    method: method as 'GET',
    url,
    headers: {
      'x-auth-token': 'admin:admin',
      'content-type': 'application/json',
      'openstack-api-version': 'volume 3.44',
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  const parsed = r.body ? JSON.parse(r.body) : null;
  return { status: r.statusCode, body: parsed, text: r.body };
}

async function expectStatus(k: Embedded, status: number, method: string, url: string, body?: unknown) {
  const r = await api(k, method, url, body);
  if (r.status !== status) throw new Error(`${method} ${url}: ${r.status} (expected ${status}): ${r.text}`);
  return r.body;
}

/** What `qemu-img` took: wall time and its own CPU time (user + sys), in seconds. */
interface Timed {
  seconds: number;
  cpu: number;
}

/**
 * Runs `qemu-img …` under `sh` so that the shell's `times` reports the child's CPU time.
 * @throws Error with its output when it fails
 */
function qemuImg(args: string[]): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const c = spawn('sh', ['-c', '"$@"; s=$?; times >&2; exit $s', 'sh', 'qemu-img', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    c.once('error', reject);
    c.once('close', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      const lines = out.trimEnd().split('\n');
      const times = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(lines.at(-1) ?? '');
      if (code !== 0 || !times)
        return reject(new Error(`qemu-img ${args.join(' ')} failed (${code}):\n${out}`));
      const [, um, us, sm, ss] = times.map(Number) as [number, number, number, number, number];
      resolve({ seconds, cpu: um * 60 + us + sm * 60 + ss });
    });
  });
}

/** Runs a short helper command; throws with its output when it fails. */
function sh(bin: string, args: string[]): string {
  const r = spawnSync(bin, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** A value for `--image-opts` (commas doubled). */
const opt = (v: string | number) => String(v).replaceAll(',', ',,');

/** The iSCSI LUN of an attachment's connection info, as qemu block options. */
function iscsiOpts(info: Record<string, any>, bytes?: number): string {
  return [
    'driver=raw',
    ...(bytes === undefined ? [] : [`size=${bytes}`]),
    'file.driver=iscsi',
    'file.transport=tcp',
    `file.portal=${opt(info.target_portal)}`,
    `file.target=${opt(info.target_iqn)}`,
    `file.lun=${opt(info.target_lun)}`,
    `file.initiator-name=${opt(CONNECTOR.initiator)}`,
  ].join(',');
}

function fileOpts(path: string, bytes?: number): string {
  return [
    'driver=raw',
    ...(bytes === undefined ? [] : [`size=${bytes}`]),
    'file.driver=file',
    `file.filename=${opt(path)}`,
  ].join(',');
}

/** Writes `bytes` of random data to a new file (16 MiB at a time). */
function randomFile(path: string, bytes: number): void {
  const buf = Buffer.allocUnsafe(16 * MiB);
  const fd = openSync(path, 'w');
  try {
    for (let done = 0; done < bytes;) {
      const n = Math.min(buf.length, bytes - done);
      randomFillSync(buf, 0, n);
      writeSync(fd, buf, 0, n);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** Writes back and drops the whole file from the page cache (fdatasync + POSIX_FADV_DONTNEED). */
function evict(path: string): void {
  sh('dd', [`of=${path}`, 'oflag=nocache', 'conv=notrunc,fdatasync', 'count=0', 'status=none']);
}

/** Reads the first `mib` MiB of the file into the page cache. */
function warm(path: string, mib: number): void {
  sh('dd', [`if=${path}`, 'of=/dev/null', 'bs=1M', `count=${mib}`, 'status=none']);
}

/** Seconds tgtd's threads ran, and waited for a CPU while runnable (`/proc/…/schedstat`). */
interface TgtdTimes {
  /** The main thread: tgtd's iSCSI event loop (every PDU in and out goes through it). */
  main: number;
  mainWait: number;
  /** The other threads: the backing store's workers (pread/pwrite/fdatasync on the file). */
  io: number;
}

function tgtdTimes(pid: number): TgtdTimes {
  const t: TgtdTimes = { main: 0, mainWait: 0, io: 0 };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let fields: number[];
    try {
      fields = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
    } catch {
      continue; // NOTE: the thread ended while we looked.
    }
    const [runNs = 0, waitNs = 0] = fields;
    if (Number(tid) === pid) {
      t.main += runNs / 1e9;
      t.mainWait += waitNs / 1e9;
    } else t.io += runNs / 1e9;
  }
  return t;
}

/** One measurement: throughput and CPU shares of one core. */
interface Sample {
  mibps: number;
  qemuCpu: number;
  tgtdMain?: number;
  tgtdMainWait?: number;
  tgtdIo?: number;
}

interface Row {
  cache: Cache;
  op: Op;
  iscsi: Sample[];
  file: Sample[];
}

const fmtRange = (xs: number[], digits = 0) =>
  `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)} – ${Math.max(...xs).toFixed(digits)})`;
const pct = (xs: number[]) => `${(median(xs) * 100).toFixed(0)} %`;

function render(rows: Row[], o: { sizeGb: number; mib: number; runs: number }, portal: string): string {
  const lines = [
    `Sequential ${o.mib} MiB of random data, \`qemu-img convert\`, on a ${o.sizeGb} GiB \`file\` volume: through its iSCSI export (tgtd on ${portal}) and on its file; ${o.runs} round${o.runs === 1 ? '' : 's'}, the two paths alternating (the ratio is taken per round). MiB/s (1 MiB = 2^20 bytes): median (min – max).`,
    '',
    '| cache (volume side) | op | iSCSI MiB/s | file MiB/s | iSCSI / file |',
    '|---|---|---:|---:|---:|',
  ];
  for (const r of rows) {
    const ratios = r.iscsi.map((s, i) => s.mibps / r.file[i]!.mibps);
    lines.push(
      `| ${r.cache} | ${r.op} | ${fmtRange(r.iscsi.map((s) => s.mibps))} | ${fmtRange(r.file.map((s) => s.mibps))} | ${fmtRange(ratios, 2)} |`,
    );
  }
  lines.push(
    '',
    "CPU time during a measurement as a share of its wall time (100 % = one core busy throughout), and the time tgtd's main thread was runnable but waiting for a CPU, medians:",
    '',
    '| cache | op | tgtd main thread | its run-queue wait | tgtd backing-store threads | qemu-img via iSCSI | qemu-img on the file |',
    '|---|---|---:|---:|---:|---:|---:|',
  );
  for (const r of rows) {
    lines.push(
      `| ${r.cache} | ${r.op} | ${pct(r.iscsi.map((s) => s.tgtdMain ?? 0))} | ${pct(r.iscsi.map((s) => s.tgtdMainWait ?? 0))} | ${pct(r.iscsi.map((s) => s.tgtdIo ?? 0))} | ${pct(r.iscsi.map((s) => s.qemuCpu))} | ${pct(r.file.map((s) => s.qemuCpu))} |`,
    );
  }
  return lines.join('\n');
}

/** The attached volume: its file, its connection info and the pid of the tgtd serving it. */
interface Attached {
  volumeId: string;
  attachmentId: string;
  file: string;
  info: Record<string, any>;
  tgtd: number;
}

/** Creates a volume, notes its file, attaches it and checks the answer. */
async function attachVolume(k: Embedded, sizeGb: number, portal: string, made: (id: string) => void) {
  const created = await expectStatus(k, 202, 'POST', '/v3/admin/volumes', { volume: { size: sizeGb } });
  const volumeId = created.volume.id as string;
  made(volumeId);
  await waitFor(k, 'volumes', volumeId, 'available');
  // NOTE: the file driver's provider_location is the file until the export replaces it.
  const row = await k.core.dbh.db
    .selectFrom('volumes')
    .select('provider_location')
    .where('id', '=', volumeId)
    .executeTakeFirstOrThrow();
  const file = row.provider_location ?? '';
  if (!file.startsWith('/') || statSync(file).size !== sizeGb * GiB)
    throw new Error(`provider_location ${file} is not the ${sizeGb} GiB volume file`);
  const a = await expectStatus(k, 200, 'POST', '/v3/admin/attachments', {
    attachment: { volume_uuid: volumeId, instance_uuid: randomUUID(), connector: CONNECTOR },
  });
  const attachmentId = a.attachment.id as string;
  await expectStatus(k, 204, 'POST', `/v3/admin/attachments/${attachmentId}/action`, { 'os-complete': null });
  const info = a.attachment.connection_info as Record<string, any>;
  if (info.driver_volume_type !== 'iscsi' || info.target_portal !== portal)
    throw new Error(`unexpected connection info: ${JSON.stringify(info)}`);
  const tgtd = tgtdPidsFor(portal)[0];
  if (tgtd === undefined) throw new Error(`no tgtd on ${portal}`);
  return { volumeId, attachmentId, file, info, tgtd } satisfies Attached;
}

/** Detaches (when attached) and deletes the volume, waiting until it is gone. */
async function removeVolume(k: Embedded, volumeId: string): Promise<void> {
  const shown = await api(k, 'GET', `/v3/admin/volumes/${volumeId}`);
  for (const att of shown.body?.volume?.attachments ?? [])
    await expectStatus(k, 200, 'DELETE', `/v3/admin/attachments/${att.attachment_id}`);
  await waitFor(k, 'volumes', volumeId, 'available').catch(() => undefined);
  await expectStatus(k, 202, 'DELETE', `/v3/admin/volumes/${volumeId}`);
  for (;;) {
    const r = await api(k, 'GET', `/v3/admin/volumes/${volumeId}`);
    if (r.status === 404) return;
    if (r.body?.volume?.status === 'error_deleting') throw new Error(`volume ${volumeId}: error_deleting`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

/** The warm-up and the alternating rounds; a row per cache mode and operation. */
async function measure(
  a: Attached,
  src: string,
  o: { mib: number; runs: number; caches: Cache[] },
  check: () => void,
): Promise<Row[]> {
  const bytes = o.mib * MiB;
  // Warm-up: allocates the file's blocks (no later write pays for that) and checks both paths.
  await qemuImg(['convert', '-n', '-f', 'raw', '-t', 'none', '--target-image-opts', src, iscsiOpts(a.info)]);
  sh('cmp', ['-n', String(bytes), src, a.file]);
  await qemuImg(['compare', '--image-opts', iscsiOpts(a.info, bytes), fileOpts(src)]);
  console.error('warm-up: written through iSCSI, identical in the file and read back through iSCSI');

  const one = async (cache: Cache, op: Op, path: Path): Promise<Sample> => {
    check();
    const size = op === 'read' ? bytes : undefined;
    const volume = path === 'iscsi' ? iscsiOpts(a.info, size) : fileOpts(a.file, size);
    if (op === 'write') warm(src, o.mib);
    if (cache === 'none') evict(a.file);
    else warm(a.file, o.mib);
    const before = tgtdTimes(a.tgtd);
    const t = await qemuImg(
      op === 'write'
        ? ['convert', '-n', '-f', 'raw', '-t', cache, '--target-image-opts', src, volume]
        : [
            'convert',
            '-n',
            '-T',
            cache,
            '--image-opts',
            '--target-image-opts',
            volume,
            `driver=null-co,size=${bytes}`,
          ],
    );
    const after = tgtdTimes(a.tgtd);
    const s: Sample = { mibps: o.mib / t.seconds, qemuCpu: t.cpu / t.seconds };
    if (path === 'iscsi') {
      s.tgtdMain = (after.main - before.main) / t.seconds;
      s.tgtdMainWait = (after.mainWait - before.mainWait) / t.seconds;
      s.tgtdIo = (after.io - before.io) / t.seconds;
    }
    return s;
  };

  const rows: Row[] = [];
  for (const cache of o.caches) {
    const write: Row = { cache, op: 'write', iscsi: [], file: [] };
    const read: Row = { cache, op: 'read', iscsi: [], file: [] };
    for (let i = 0; i < o.runs; i++) {
      const order: Path[] = i % 2 === 0 ? ['iscsi', 'file'] : ['file', 'iscsi'];
      for (const row of [write, read])
        for (const path of order) {
          const s = await one(cache, row.op, path);
          row[path].push(s);
          console.error(
            `cache=${cache} round ${i + 1}/${o.runs} ${row.op} ${path}: ${s.mibps.toFixed(0)} MiB/s`,
          );
        }
    }
    rows.push(write, read);
  }
  // NOTE: whichever path wrote last, the file must hold the data.
  sh('cmp', ['-n', String(bytes), src, a.file]);
  return rows;
}

async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2));
  const skip = await ensureIscsiPackages();
  if (skip) {
    console.error(`skipped: ${skip}`);
    return 3;
  }
  let interrupted = false;
  process.on('SIGINT', () => {
    interrupted = true;
    console.error('interrupted: cleaning up');
  });
  const check = () => {
    if (interrupted) throw new Error('interrupted');
  };

  const dir = mkdtempSync(join(tmpdir(), 'kindling-bench-attach-'));
  const src = join(dir, 'random.raw');
  const port = await freePort();
  const portal = `127.0.0.1:${port}`;
  const load0 = loadavg();
  let failed = false;
  let rows: Row[] = [];
  let k: Embedded | null = null;
  let volumeId: string | null = null;
  try {
    console.error(`random data: ${o.mib} MiB`);
    randomFile(src, o.mib * MiB);
    k = await startEmbedded(
      loadConfig({
        env: {
          KINDLING_STATE_DIR: join(dir, 'state'),
          KINDLING__file__target_port: String(port),
          KINDLING__DEFAULT__quota_gigabytes: '-1',
        },
      }),
      { log: pino({ level: 'silent' }) },
    );
    await waitForPools(k, 1);
    const a = await attachVolume(k, o.sizeGb, portal, (id) => (volumeId = id));
    console.error(`attached: ${a.info.target_iqn} lun ${a.info.target_lun} (tgtd ${a.tgtd}), file ${a.file}`);
    rows = await measure(a, src, o, check);
  } catch (err) {
    failed = true;
    console.error(err instanceof Error ? err.message : err);
  } finally {
    try {
      if (k && volumeId !== null) await removeVolume(k, volumeId);
    } catch (err) {
      failed = true;
      console.error(`cleanup: ${err instanceof Error ? err.message : String(err)}`);
    }
    await k?.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const left = tgtdPidsFor(portal);
  if (left.length > 0) {
    failed = true;
    console.error(`tgtd left on ${portal}: ${left.join(' ')}`);
  }
  const pgrep = spawnSync('pgrep', ['-a', 'tgtd'], { encoding: 'utf8' }).stdout.trim().replaceAll('\n', '; ');
  if (rows.length > 0) {
    const qemu = sh('qemu-img', ['--version']).split('\n')[0];
    const tgt = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'tgt'], { encoding: 'utf8' }).stdout;
    console.log(`\n${machineInfo()}`);
    console.log(`- ${qemu}; tgt ${tgt || 'unknown'}`);
    console.log(
      `- load average (1 min) at start / end: ${load0[0]!.toFixed(2)} / ${loadavg()[0]!.toFixed(2)}\n`,
    );
    console.log(render(rows, o, portal));
    console.log(
      `\ntgtd on ${portal} after stop: ${left.length > 0 ? left.join(' ') : 'none'}; \`pgrep -a tgtd\`: ${pgrep || 'none'}`,
    );
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  },
);

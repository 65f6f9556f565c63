/**
 * A throwaway Ceph for the RBD tests (scripts/ceph-up.sh and ceph-down.sh) and the `rbd` commands
 * the tests use to look at and write into its images, independently of the driver under test.
 */
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const UP = join(REPO_ROOT, 'scripts', 'ceph-up.sh');
const DOWN = join(REPO_ROOT, 'scripts', 'ceph-down.sh');

/** A running test cluster. */
export interface TestCeph {
  readonly dir: string;
  readonly conf: string;
  readonly keyring: string;
  readonly pool: string;
  readonly monPort: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts a cluster in a new temporary directory on free monitor ports (~15 s; the first time also
 * installs the ceph packages). Returns the reason to skip when Ceph cannot be installed here.
 * @throws Error when the script fails for another reason
 */
export async function startCeph(): Promise<TestCeph | { skip: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'kindling-ceph-'));
  const [monPort, monPort2] = [await freePort(), await freePort()];
  const run = spawnSync('bash', [UP, dir, '10G'], {
    env: {
      ...process.env,
      CEPH_MON_PORT: String(monPort),
      CEPH_MON_PORT2: String(monPort2),
      CEPH_POOL: 'volumes',
    },
    encoding: 'utf8',
    timeout: 900_000,
  });
  const out = `${run.stdout}${run.stderr}`.trim();
  if (run.status === 3) {
    spawnSync('bash', [DOWN, dir]);
    return { skip: `no Ceph: ${out.split('\n').at(-1)} (scripts/ceph-up.sh needs root or sudo and apt)` };
  }
  if (run.status !== 0) {
    spawnSync('bash', [DOWN, dir, '--keep']);
    throw new Error(
      `scripts/ceph-up.sh failed (${run.status ?? run.signal}), state left in ${dir}:\n${out.slice(-4000)}`,
    );
  }
  return {
    dir,
    conf: join(dir, 'ceph.conf'),
    keyring: join(dir, 'ceph.client.admin.keyring'),
    pool: 'volumes',
    monPort,
  };
}

/** Stops the cluster and removes its directory. */
export function stopCeph(ceph: TestCeph): void {
  spawnSync('bash', [DOWN, ceph.dir], { stdio: 'ignore' });
}

/** Stops only the monitor (the OSD and manager keep running). */
export function stopMon(ceph: TestCeph): void {
  execFileSync('bash', [DOWN, ceph.dir, '--keep', 'mon.a'], { stdio: 'ignore' });
}

/** Starts whatever daemon is down again (ceph-up.sh on the same directory: ~5 s for a monitor). */
export function restartCeph(ceph: TestCeph): void {
  execFileSync('bash', [UP, ceph.dir], { stdio: 'ignore', timeout: 300_000 });
}

function args(ceph: TestCeph, rest: readonly string[]): string[] {
  return ['--conf', ceph.conf, '--keyring', ceph.keyring, ...rest];
}

/** Runs `rbd` on the test cluster; resolves with stdout. */
export async function rbd(ceph: TestCeph, ...rest: string[]): Promise<string> {
  return (await promisify(execFile)('rbd', args(ceph, rest), { encoding: 'utf8', maxBuffer: 64 << 20 }))
    .stdout;
}

/** `rbd info --format json` of `image` (or `image@snap`) in the test pool; null when it does not exist. */
export async function rbdInfo(ceph: TestCeph, image: string): Promise<RbdInfo | null> {
  try {
    return JSON.parse(await rbd(ceph, 'info', '--format', 'json', `${ceph.pool}/${image}`)) as RbdInfo;
  } catch (e) {
    if ((e as { code?: unknown }).code === 2) return null;
    throw e;
  }
}

export interface RbdInfo {
  size: number;
  order: number;
  features: string[];
  parent?: { pool: string; image: string; snapshot: string; trash: boolean };
}

/** Image names in the test pool. */
export async function rbdLs(ceph: TestCeph): Promise<string[]> {
  return JSON.parse(await rbd(ceph, 'ls', '--format', 'json', ceph.pool)) as string[];
}

/** Snapshots of an image: name and whether it is protected. */
export async function rbdSnaps(
  ceph: TestCeph,
  image: string,
): Promise<{ name: string; protected: boolean }[]> {
  const snaps = JSON.parse(await rbd(ceph, 'snap', 'ls', '--format', 'json', `${ceph.pool}/${image}`)) as {
    name: string;
    protected: string;
  }[];
  return snaps.map((s) => ({ name: s.name, protected: s.protected === 'true' }));
}

/**
 * Writes `data` at `offset` of an existing image, as a client would, with `rbd import-diff` fed a
 * one-extent diff in Ceph's "rbd diff v1" format (header, image size, one write, end).
 */
export async function rbdWrite(ceph: TestCeph, image: string, offset: number, data: Buffer): Promise<void> {
  const info = await rbdInfo(ceph, image);
  if (!info) throw new Error(`no image ${image}`);
  const size = Buffer.alloc(9);
  size.write('s', 0);
  size.writeBigUInt64LE(BigInt(info.size), 1);
  const write = Buffer.alloc(17);
  write.write('w', 0);
  write.writeBigUInt64LE(BigInt(offset), 1);
  write.writeBigUInt64LE(BigInt(data.length), 9);
  const diff = Buffer.concat([Buffer.from('rbd diff v1\n'), size, write, data, Buffer.from('e')]);
  await new Promise<void>((resolve, reject) => {
    const p = spawn('rbd', args(ceph, ['import-diff', '--no-progress', '-', `${ceph.pool}/${image}`]), {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let err = '';
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('error', reject);
    p.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`rbd import-diff exited ${code}: ${err}`)),
    );
    p.stdin.end(diff);
  });
}

/** `length` bytes at `offset` of an image, read with `rbd export` (streamed; stops once read). */
export async function rbdRead(
  ceph: TestCeph,
  image: string,
  offset: number,
  length: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const p = spawn('rbd', args(ceph, ['export', '--no-progress', `${ceph.pool}/${image}`, '-']), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = Buffer.alloc(length);
    let pos = 0;
    let got = 0;
    let done = false;
    let err = '';
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.stdout.on('data', (chunk: Buffer) => {
      if (done) return;
      const start = Math.max(offset - pos, 0);
      const end = Math.min(offset + length - pos, chunk.length);
      if (end > start) {
        chunk.copy(out, pos + start - offset, start, end);
        got += end - start;
      }
      pos += chunk.length;
      if (got === length) {
        done = true;
        p.kill('SIGKILL');
        resolve(out);
      }
    });
    p.on('error', reject);
    p.on('close', (code) => {
      if (!done) reject(new Error(`rbd export ended (${code}) before byte ${offset + length}: ${err}`));
    });
  });
}

/**
 * A userspace iSCSI initiator for the target tests: qemu-io / qemu-img over libiscsi
 * (`iscsi://…`, qemu-block-extra) and libiscsi-bin's iscsi-ls, plus the packages (installed by
 * scripts/tgt-up.sh, which exits 3 where they cannot be) and a tgtd started by that script for
 * `tgtd_control_port` mode.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const UP = join(REPO_ROOT, 'scripts', 'tgt-up.sh');
const DOWN = join(REPO_ROOT, 'scripts', 'tgt-down.sh');
const TOOLS = ['tgtd', 'tgtadm', 'qemu-io', 'qemu-img', 'iscsi-ls'];
/** libiscsi's block driver for qemu (Debian's qemu-block-extra). */
const QEMU_ISCSI = '/usr/lib/x86_64-linux-gnu/qemu/block-iscsi.so';
export const INITIATOR = 'iqn.1994-05.com.example:kindling-test';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function installed(): boolean {
  const path = `/usr/sbin:/usr/bin:/sbin:/bin:${process.env.PATH ?? ''}`;
  const found = TOOLS.every(
    (t) => spawnSync('sh', ['-c', `command -v ${t}`], { env: { PATH: path } }).status === 0,
  );
  return found && spawnSync('test', ['-e', QEMU_ISCSI]).status === 0;
}

/** A tgtd started by scripts/tgt-up.sh. */
export interface ScriptTgtd {
  readonly dir: string;
  readonly pid: number;
  readonly port: number;
  readonly controlPort: number;
}

/**
 * Starts a tgtd with scripts/tgt-up.sh on free ports (installing the packages first if needed).
 * Returns the reason to skip when they cannot be installed here.
 * @throws Error when the script fails for another reason
 */
export async function startScriptTgtd(): Promise<ScriptTgtd | { skip: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'kindling-tgt-'));
  const port = await freePort();
  const controlPort = 20_000 + Math.floor(Math.random() * 12_000); // tgtd: -C <= 32767
  const run = spawnSync('bash', [UP, dir, String(port), String(controlPort)], {
    encoding: 'utf8',
    timeout: 900_000,
  });
  const out = `${run.stdout}${run.stderr}`.trim();
  if (run.status === 3) {
    rmSync(dir, { recursive: true, force: true });
    return { skip: `no tgt: ${out.split('\n').at(-1)} (scripts/tgt-up.sh needs root or sudo and apt)` };
  }
  if (run.status !== 0) throw new Error(`scripts/tgt-up.sh failed (${run.status ?? run.signal}):\n${out}`);
  const pid = Number(/^TGT_PID=(\d+)$/m.exec(run.stdout)?.[1]);
  return { dir, pid, port, controlPort };
}

/** Stops it (scripts/tgt-down.sh) and removes its directory. */
export function stopScriptTgtd(t: ScriptTgtd): void {
  spawnSync('bash', [DOWN, t.dir], { stdio: 'ignore' });
  rmSync(t.dir, { recursive: true, force: true });
}

/**
 * Makes sure tgt, libiscsi-bin, qemu-utils and qemu-block-extra are installed (through
 * scripts/tgt-up.sh, whose tgtd is stopped at once). Resolves with the reason to skip, or false.
 */
export async function ensureIscsiPackages(): Promise<string | false> {
  if (installed()) return false;
  const started = await startScriptTgtd();
  if ('skip' in started) return started.skip;
  stopScriptTgtd(started);
  return installed() ? false : 'scripts/tgt-up.sh ran but tgtd/qemu-io/iscsi-ls are still missing';
}

/** What a command printed and how it ended. */
export interface Run {
  readonly status: number | null;
  readonly out: string;
}

function run(bin: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    const c = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => c.kill('SIGKILL'), 30_000);
    c.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, out });
    });
  });
}

/** Where a LUN is and how to log in. */
export interface IscsiLun {
  readonly portal: string;
  readonly iqn: string;
  readonly lun: number;
  readonly chap?: { readonly user: string; readonly password: string };
}

function imageOpts(l: IscsiLun): string[] {
  const opts = [
    'driver=iscsi',
    'transport=tcp',
    `portal=${l.portal}`,
    `target=${l.iqn}`,
    `lun=${l.lun}`,
    `initiator-name=${INITIATOR}`,
  ];
  if (!l.chap) return ['--image-opts', opts.join(',')];
  return [
    '--object',
    `secret,id=sec0,data=${l.chap.password}`,
    '--image-opts',
    [...opts, `user=${l.chap.user}`, 'password-secret=sec0'].join(','),
  ];
}

/** `qemu-io -c <command>` on the LUN (e.g. `write -P 0xab 0 1M`, `read -P 0xab 0 1M`). */
export function qemuIo(l: IscsiLun, ...commands: string[]): Promise<Run> {
  return run('qemu-io', [...imageOpts(l), ...commands.flatMap((c) => ['-c', c])]);
}

/** The virtual size qemu-img sees over iSCSI. */
export async function iscsiSize(l: IscsiLun): Promise<number> {
  const r = await run('qemu-img', ['info', '--output=json', ...imageOpts(l)]);
  if (r.status !== 0) throw new Error(`qemu-img info failed: ${r.out}`);
  return (JSON.parse(r.out) as { 'virtual-size': number })['virtual-size'];
}

/** The targets a discovery on the portal lists (`iscsi-ls`). */
export async function discover(portal: string): Promise<string[]> {
  const r = await run('iscsi-ls', ['-i', INITIATOR, `iscsi://${portal}`]);
  return [...r.out.matchAll(/^Target:(\S+) Portal:/gm)].map((m) => m[1] ?? '');
}

/**
 * A qemu-io that stays logged in to the LUN until `close()` (its commands come from stdin), to
 * check what happens to an export with a session.
 */
export function openSession(l: IscsiLun): { child: ChildProcess; close(): Promise<void> } {
  const child = spawn('qemu-io', imageOpts(l), { stdio: ['pipe', 'ignore', 'ignore'] });
  return {
    child,
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('close', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

/** The pids of live tgtd processes whose command line has `portal=<portal>`. */
export function tgtdPidsFor(portal: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (/^\d+ \([^)]*\) Z/.test(readFileSync(`/proc/${entry}/stat`, 'utf8'))) continue;
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv[0]?.endsWith('tgtd') && argv.includes(`portal=${portal}`)) pids.push(Number(entry));
    } catch {
      // NOTE: the process ended while we looked.
    }
  }
  return pids;
}

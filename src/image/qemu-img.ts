/**
 * `qemu-img` as Cinder's `image_utils` runs it: `info` (under resource limits: a crafted image
 * must not exhaust the host) and `convert`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What `qemu-img info --output=json` says of an image. */
export interface QemuImgInfo {
  /** qemu's format name: `raw`, `qcow2`, `vmdk`, `vpc`, `vhdx`, `parallels`, … */
  readonly format: string;
  readonly 'virtual-size': number;
  readonly 'actual-size'?: number;
  readonly 'backing-filename'?: string;
  readonly 'full-backing-filename'?: string;
  readonly 'format-specific'?: { readonly type: string; readonly data?: Record<string, unknown> };
}

/** Limits of `qemu-img info` (Cinder's `QEMU_IMG_LIMITS`: CPU seconds and address space). */
export interface QemuImgLimits {
  readonly cpuSeconds: number;
  readonly addressSpaceGiB: number;
}

/** The error of a qemu-img run, with what it wrote on stderr. */
export class QemuImgFailed extends Error {
  constructor(
    readonly args: readonly string[],
    readonly stderr: string,
  ) {
    super(`qemu-img ${args[0] ?? ''} failed: ${stderr.trim().split('\n').at(-1) ?? ''}`);
  }
}

async function qemuImg(args: string[], limits?: QemuImgLimits, timeoutMs = 0): Promise<string> {
  const [bin, argv] = limits
    ? [
        'prlimit',
        [`--cpu=${limits.cpuSeconds}`, `--as=${limits.addressSpaceGiB * 1024 ** 3}`, 'qemu-img', ...args],
      ]
    : ['qemu-img', args];
  try {
    const { stdout } = await run(bin, argv, {
      env: { ...process.env, LC_ALL: 'C' },
      maxBuffer: 16 * 1024 * 1024,
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new QemuImgFailed(args, err.stderr || err.message);
  }
}

/**
 * `qemu-img info --output=json [-f format] path`. Without `format` qemu probes the format (used to
 * check what the data really is); with it, the data is read as that format.
 */
export async function qemuImgInfo(
  path: string,
  format: string | null,
  limits?: QemuImgLimits,
): Promise<QemuImgInfo> {
  const args = ['info', '--output=json'];
  if (format) args.push('-f', format);
  args.push(path);
  return JSON.parse(await qemuImg(args, limits)) as QemuImgInfo;
}

/**
 * `qemu-img convert` of `src` (read as `srcFormat`) into `dst` as `dstFormat`. `existing`: write
 * into an existing target (`-n`; a volume file or an `rbd:` spec), which with `targetIsZero` is
 * known to read as zeros, so runs of zeros are skipped and a sparse target stays sparse.
 */
export async function qemuImgConvert(
  src: string,
  srcFormat: string,
  dst: string,
  dstFormat: string,
  opts: { existing?: boolean; targetIsZero?: boolean; compress?: boolean } = {},
): Promise<void> {
  const args = ['convert', '-f', srcFormat, '-O', dstFormat];
  if (opts.existing) args.push('-n');
  if (opts.existing && opts.targetIsZero) args.push('--target-is-zero');
  if (opts.compress) args.push('-c');
  args.push(src, dst);
  await qemuImg(args);
}

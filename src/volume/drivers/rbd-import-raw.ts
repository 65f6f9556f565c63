/**
 * A program: writes the raw image on its stdin into an existing RBD image, by running the given
 * `rbd … import-diff … - POOL/IMAGE` command and feeding it the image as an "rbd diff v1" stream
 * (rbd-raw-diff.ts). It is the restore command the RBD driver hands to the backup service
 * (`openVolumeForRestore`), which runs it where it runs and pipes the backup into it.
 *
 *   node rbd-import-raw.js SIZE_BYTES rbd [rbd args…]
 *
 * Exit status: the command's, or 1 when the input is not SIZE_BYTES long (the command then gets
 * no end tag and fails; what was written before stays written, as with any interrupted restore).
 * stderr: the command's, then this program's reason.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DEFAULT_RAW_TO_DIFF, rawToRbdDiff } from './rbd-raw-diff.js';

async function main(argv: readonly string[]): Promise<number> {
  const [sizeArg, cmd, ...args] = argv;
  const sizeBytes = Number(sizeArg);
  if (!cmd || !Number.isSafeInteger(sizeBytes) || sizeBytes < 0) {
    process.stderr.write('usage: rbd-import-raw SIZE_BYTES COMMAND [ARGS…]\n');
    return 2;
  }
  const child = spawn(cmd, args, { stdio: ['pipe', 'inherit', 'inherit'] });
  let startError: Error | null = null;
  const exited = (once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>).catch(
    (e: unknown): [null, null] => {
      startError = e as Error;
      return [null, null];
    },
  );
  let failure: Error | null = null;
  try {
    await pipeline(
      Readable.from(rawToRbdDiff(process.stdin, { sizeBytes, ...DEFAULT_RAW_TO_DIFF })),
      child.stdin,
    );
  } catch (e) {
    failure = e as Error;
  }
  const [code, signal] = await exited;
  if (startError) {
    process.stderr.write(`rbd-import-raw: ${(startError as Error).message}\n`);
    return 1;
  }
  // NOTE: a broken pipe is the command giving up: its exit status and stderr say why.
  const pipeBroke =
    failure && /EPIPE|premature close/i.test(`${(failure as NodeJS.ErrnoException).code} ${failure.message}`);
  if (failure && !pipeBroke) process.stderr.write(`rbd-import-raw: ${failure.message}\n`);
  if (code === 0) return failure ? 1 : 0;
  if (signal) process.stderr.write(`rbd-import-raw: ${cmd} was killed by ${signal}\n`);
  return code ?? 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`rbd-import-raw: ${String(e)}\n`);
    process.exitCode = 1;
  },
);

/**
 * INFO lines for long operations (`[DEFAULT] progress_log_interval` seconds apart): image
 * downloads (bytes through a stream), image conversions and migration copies (sampled while they
 * run). Backups and restores have their own reporter (src/backup/progress.ts), which also sends
 * Cinder's progress notifications.
 */
import { Transform, type TransformCallback } from 'node:stream';

/** The logger calls progress needs; pino fits. */
export interface ProgressLogger {
  info(obj: object, msg: string): void;
}

/** Where progress lines go and how often. */
export interface ProgressLog {
  readonly log: ProgressLogger;
  /** Seconds between two lines; 0: none. */
  readonly intervalSeconds: number;
}

const MiB = 1024 * 1024;

/** `n` bytes as MiB with one decimal. */
export function mibText(n: number): string {
  return (n / MiB).toFixed(1);
}

/** `done of total MiB (p%), r MiB/s` (total unknown: `done MiB, r MiB/s`). */
export function progressText(done: number, total: number | null, seconds: number): string {
  const rate = seconds > 0 ? done / seconds : 0;
  const of =
    total && total > 0
      ? `${mibText(done)} of ${mibText(total)} MiB (${Math.min(100, Math.floor((done * 100) / total))}%)`
      : `${mibText(done)} MiB`;
  return `${of}, ${mibText(rate)} MiB/s`;
}

/**
 * A pass-through stream that counts the bytes going through it and logs, at most every
 * `intervalSeconds`, `<what>: <done> of <total> MiB (p%), r MiB/s`.
 */
export function countingProgress(
  p: ProgressLog | undefined,
  what: string,
  total: number | null,
  fields: object = {},
): Transform {
  let done = 0;
  const start = Date.now();
  let last = start;
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      done += chunk.length;
      const now = Date.now();
      if (p && p.intervalSeconds > 0 && now - last >= p.intervalSeconds * 1000) {
        last = now;
        p.log.info(
          { ...fields, done_bytes: done, total_bytes: total },
          `${what}: ${progressText(done, total, (now - start) / 1000)}`,
        );
      }
      cb(null, chunk);
    },
  });
}

/**
 * Logs every `intervalSeconds` while `work` runs: `<what>: <sample()> ...` with the seconds so
 * far (`sample` may say how far it got, e.g. bytes of a file being written). Returns `work`'s
 * result; the sampling stops with it.
 */
export async function whileLogging<T>(
  p: ProgressLog | undefined,
  what: string,
  work: Promise<T>,
  opts: { fields?: object; total?: number | null; sample?: () => Promise<number | null> } = {},
): Promise<T> {
  if (!p || p.intervalSeconds <= 0) return work;
  const start = Date.now();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      const seconds = (Date.now() - start) / 1000;
      const done = opts.sample ? await opts.sample().catch(() => null) : null;
      const text =
        done === null
          ? `${Math.round(seconds)} s so far`
          : `${progressText(done, opts.total ?? null, seconds)}, ${Math.round(seconds)} s so far`;
      p.log.info(
        { ...opts.fields, done_bytes: done, total_bytes: opts.total ?? null, seconds },
        `${what}: ${text}`,
      );
    })().finally(() => {
      busy = false;
    });
  }, p.intervalSeconds * 1000);
  timer.unref();
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

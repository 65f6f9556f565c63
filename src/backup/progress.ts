/**
 * Progress of a long backup-service operation, as Cinder's chunked driver reports a backup's
 * (`backup/chunkeddriver.py`): a notification after every `backup_object_number_per_notification`
 * chunks (a chunk: `backup_file_size` bytes of the volume read, or one object restored) and, with
 * `backup_enable_progress_timer`, every `backup_timer_interval` seconds; one more at 100 % when
 * the data is all there (`_send_progress_end`). Besides, an INFO line every
 * `progress_log_interval` seconds (Kindling's) with what is done, the percentage and the rate.
 *
 * Notifications go out one at a time, in order; a failing one is logged and the operation goes on.
 */

/** Where an operation stands. */
export interface ProgressSnapshot {
  /** Bytes done (read for a backup, restored for a restore). */
  done: number;
  /** Bytes to do in all (at least `done`). */
  total: number;
  /** Objects written (backup) or restored (restore) so far. */
  objects: number;
  /** `done / total` in percent, two decimals; 100 when there was nothing to do. */
  percent: number;
  /** True for the notification sent once everything is done. */
  final: boolean;
}

export interface ProgressReporterOptions {
  /** Bytes to do in all. */
  total: number;
  /** Chunks between two notifications (`backup_object_number_per_notification`); 0: none by count. */
  perNotification: number;
  /** Seconds between timed notifications (`backup_timer_interval`); null: no timer. */
  timerSeconds: number | null;
  /** Seconds between two INFO lines (`progress_log_interval`); 0: none. */
  logSeconds: number;
  /** Sends one progress notification (and records it, e.g. object_count on the row). */
  notify(s: ProgressSnapshot): Promise<void>;
  /** Writes one INFO line; `bytesPerSecond` since the start. */
  log(s: ProgressSnapshot, bytesPerSecond: number): void;
  /** Told when `notify` fails. */
  onError?(err: unknown): void;
  /** Clock (tests). */
  now?: () => number;
}

export class ProgressReporter {
  readonly #o: ProgressReporterOptions;
  readonly #now: () => number;
  readonly #start: number;
  #done = 0;
  #objects = 0;
  #steps = 0;
  #stepsNotified = 0;
  #lastLog: number;
  #timer: NodeJS.Timeout | null = null;
  #chain: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(opts: ProgressReporterOptions) {
    this.#o = opts;
    this.#now = opts.now ?? (() => Date.now());
    this.#start = this.#now();
    this.#lastLog = this.#start;
    if (opts.timerSeconds !== null && opts.timerSeconds > 0) {
      this.#timer = setInterval(() => this.#notify(false), opts.timerSeconds * 1000);
      this.#timer.unref();
    }
  }

  /** Where things stand now. */
  snapshot(final = false): ProgressSnapshot {
    const total = Math.max(this.#o.total, this.#done);
    const percent = total > 0 ? Math.floor((this.#done * 10000) / total) / 100 : 100;
    return { done: this.#done, total, objects: this.#objects, percent: final ? 100 : percent, final };
  }

  /**
   * Records progress: `done` bytes, `steps` chunks (or objects) so far, `objects` written. Sends a
   * notification once `perNotification` more steps are done, logs when a line is due.
   */
  update(done: number, steps: number, objects: number): void {
    if (this.#stopped) return;
    this.#done = done;
    this.#objects = objects;
    this.#steps = steps;
    const per = this.#o.perNotification;
    if (per > 0 && this.#steps - this.#stepsNotified >= per) {
      // NOTE: several chunks may arrive in one read: one notification for them all.
      this.#stepsNotified = this.#steps;
      this.#notify(false);
    }
    const now = this.#now();
    if (this.#o.logSeconds > 0 && now - this.#lastLog >= this.#o.logSeconds * 1000) {
      this.#lastLog = now;
      this.#o.log(this.snapshot(), this.#rate(now));
    }
  }

  #rate(now: number): number {
    const seconds = (now - this.#start) / 1000;
    return seconds > 0 ? this.#done / seconds : 0;
  }

  #notify(final: boolean): void {
    const s = this.snapshot(final);
    this.#chain = this.#chain.then(() =>
      this.#o.notify(s).catch((err: unknown) => {
        this.#o.onError?.(err);
      }),
    );
  }

  /** Everything is done: the 100 % notification; resolves once every notification went out. */
  async finish(objects = this.#objects): Promise<void> {
    if (this.#stopped) return this.#chain;
    this.#objects = objects;
    this.#done = Math.max(this.#done, this.#o.total);
    this.#stopTimer();
    this.#notify(true);
    this.#stopped = true;
    await this.#chain;
  }

  /** Stops without the final notification (failure, cancel); waits for those already sent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopTimer();
    await this.#chain;
  }

  #stopTimer(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}

/** `n` bytes in MiB with one decimal, for log lines. */
export function mib(n: number): string {
  return (n / (1024 * 1024)).toFixed(1);
}

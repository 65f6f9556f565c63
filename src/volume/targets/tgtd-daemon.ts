/**
 * The tgtd a set of tgtadm targets talks to, shared by every backend of the process that uses the
 * same one (same portal, or same management channel), with the one queue all their target changes
 * go through (tids are picked from what tgtd shows, so two changes must not interleave).
 *
 * Own mode (no `tgtd_control_port`): Kindling spawns `tgtd -f -C N --iscsi portal=IP:PORT` on a
 * free management channel N, watches it and, when it dies, starts it again (backoff) and tells the
 * targets, whose owners then ensure their exports again: tgtd keeps everything in memory. tgtd
 * ignores SIGTERM: it is stopped with `tgtadm --op delete --mode system --force`, then SIGKILL.
 * External mode (`tgtd_control_port = N`): a tgtd someone else runs; never started nor stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ISCSITargetDaemonUnavailable } from '../../common/errors.js';
import { sanitizeHost } from './provider-location.js';
import type { RestartListener, TargetLogger } from './target.js';
import { Tgtadm } from './tgtadm.js';

/** Which tgtd, and where an own one keeps its pid and log files. */
export interface TgtdEndpoint {
  readonly ip: string;
  readonly port: number;
  /** The lld of the portal an own tgtd opens (`--iscsi portal=` or `--iser portal=`). */
  readonly lld: string;
  /** null: own tgtd; a number: an already running one on that management channel. */
  readonly controlPort: number | null;
  /** Directory for an own tgtd's pid and log files (the first user's volumes_dir). */
  readonly stateDir: string;
}

/** Program names, replaceable in tests. */
export interface TgtdBinaries {
  readonly tgtd: string;
  readonly tgtadm: string;
}

const DEFAULT_BINARIES: TgtdBinaries = { tgtd: 'tgtd', tgtadm: 'tgtadm' };
/** How long a fresh tgtd may take to answer on its management socket (it takes ~0.1 s). */
const START_TIMEOUT_MS = 10_000;
/** Restart delays after unexpected exits: doubling from the first to the last. */
const BACKOFF_MS = { first: 500, max: 30_000 } as const;
/** A tgtd that ran this long is healthy again: the next crash restarts it without delay. */
const HEALTHY_AFTER_MS = 60_000;

/** The key of the shared instance: one tgtd per portal (own) or per management channel. */
export function daemonKey(e: TgtdEndpoint): string {
  return e.controlPort === null ? `portal ${sanitizeHost(e.ip)}:${e.port}` : `control ${e.controlPort}`;
}

export class TgtdDaemon {
  readonly key: string;
  readonly portal: string;
  #users = 0;
  #tail: Promise<unknown> = Promise.resolve();
  #controlPort: number | null;
  #child: ChildProcess | null = null;
  #starting: Promise<void> | null = null;
  #restartTimer: NodeJS.Timeout | null = null;
  #backoff: number = BACKOFF_MS.first;
  #startedAt = 0;
  #stopping = false;
  /** External mode: the tgtd answered once. */
  #checked = false;
  readonly #listeners = new Set<RestartListener>();

  constructor(
    readonly endpoint: TgtdEndpoint,
    private readonly log: TargetLogger,
    private readonly bins: TgtdBinaries = DEFAULT_BINARIES,
  ) {
    this.key = daemonKey(endpoint);
    this.portal = `${sanitizeHost(endpoint.ip)}:${endpoint.port}`;
    this.#controlPort = endpoint.controlPort;
  }

  /** Whether Kindling runs this tgtd itself. */
  get own(): boolean {
    return this.endpoint.controlPort === null;
  }

  /** The management channel (`-C N`), once known. */
  get controlPort(): number | null {
    return this.#controlPort;
  }

  /** The pid of an own tgtd while it runs. */
  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /** Whether an own tgtd runs now; for an external one, whether it answered when first asked. */
  get running(): boolean {
    if (!this.own) return this.#checked;
    const c = this.#child;
    return c !== null && c.exitCode === null && c.signalCode === null;
  }

  /** Runs `fn` after every change queued before it (one change at a time per tgtd). */
  serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  addListener(l: RestartListener): void {
    this.#listeners.add(l);
  }

  removeListener(l: RestartListener): void {
    this.#listeners.delete(l);
  }

  /** Counts one more target using this tgtd (see {@link acquireDaemon}). */
  retain(): void {
    this.#users++;
  }

  /** One target less; true when it was the last. */
  release(): boolean {
    this.#users--;
    return this.#users <= 0;
  }

  /** Starts (own) or checks (external) the tgtd; idempotent; waits for a restart under way. */
  ready(): Promise<void> {
    if (this.#starting) return this.#starting;
    if (this.running) return Promise.resolve();
    if (this.#stopping)
      return Promise.reject(new ISCSITargetDaemonUnavailable(`the tgtd of ${this.key} is being stopped`));
    this.#starting = (this.own ? this.#startOwn() : this.#checkExternal()).finally(() => {
      this.#starting = null;
    });
    return this.#starting;
  }

  async #checkExternal(): Promise<void> {
    const port = this.endpoint.controlPort as number;
    const tgtadm = new Tgtadm(port, 'iscsi', this.bins.tgtadm);
    if (!(await tgtadm.alive())) {
      await assertInstalled(this.bins.tgtadm, ['--help']);
      throw new ISCSITargetDaemonUnavailable(
        `no tgtd answers on management channel ${port} (tgtadm -C ${port}): start one (scripts/tgt-up.sh DIR PORT ${port}) or unset tgtd_control_port to let Kindling run its own`,
      );
    }
    this.#checked = true;
    if (this.endpoint.lld !== 'iscsi') return;
    const portals = await tgtadm.portals();
    const port_ = String(this.endpoint.port);
    const served = portals.some(
      (p) => p === this.portal || p === `0.0.0.0:${port_}` || p === `[::]:${port_}`,
    );
    if (!served)
      this.log.warn(
        { portals, expected: this.portal },
        `tgtd on management channel ${port} does not listen on ${this.portal}: initiators are sent there`,
      );
  }

  async #startOwn(): Promise<void> {
    mkdirSync(this.endpoint.stateDir, { recursive: true, mode: 0o700 });
    try {
      mkdirSync('/var/run/tgtd', { recursive: true }); // NOTE: tgtd's management sockets
    } catch (err) {
      throw new ISCSITargetDaemonUnavailable(
        `cannot create /var/run/tgtd (tgtd runs as root): ${String(err)}`,
      );
    }
    await stopsUnderWay.get(this.key);
    await this.#stopLeftover();
    await assertPortFree(this.endpoint.ip, this.endpoint.port);
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const controlPort = await this.#freeControlPort();
      try {
        await this.#spawn(controlPort);
        return;
      } catch (err) {
        lastError = err;
        // NOTE: another tgtd took the channel between the probe and the spawn: try another.
        if (!(err instanceof ChannelTaken)) throw err;
      }
    }
    throw lastError;
  }

  /** A management channel no tgtd answers on (the socket files of a stopped tgtd stay behind). */
  async #freeControlPort(): Promise<number> {
    for (;;) {
      // NOTE: tgtd refuses -C values above 32767.
      const n = randomInt(20_000, 32_768);
      if (!(await new Tgtadm(n, 'iscsi', this.bins.tgtadm).alive())) return n;
    }
  }

  async #spawn(controlPort: number): Promise<void> {
    const logPath = this.#file('log');
    const fd = openSync(logPath, 'a', 0o600);
    let child: ChildProcess;
    try {
      // -f: foreground, so the pid is tgtd's own and its exit is seen; portal= binds only that
      // address (tgtd's default is 0.0.0.0:3260 and [::]:3260).
      child = spawn(
        this.bins.tgtd,
        ['-f', '-C', String(controlPort), `--${this.endpoint.lld}`, `portal=${this.portal}`],
        { stdio: ['ignore', fd, fd] },
      );
    } finally {
      closeSync(fd);
    }
    const exited = new Promise<string>((resolve) => {
      child.once('error', (e: NodeJS.ErrnoException) =>
        resolve(
          e.code === 'ENOENT'
            ? `${this.bins.tgtd} is not installed: apt-get install tgt (or run scripts/tgt-up.sh DIR, which installs it)`
            : e.message,
        ),
      );
      child.once('exit', (code, signal) => resolve(`tgtd exited (${signal ?? `status ${code}`})`));
    });
    const tgtadm = new Tgtadm(controlPort, 'iscsi', this.bins.tgtadm);
    const deadline = Date.now() + START_TIMEOUT_MS;
    let failure: string | null = null;
    void exited.then((why) => (failure = why));
    while (failure === null && !(await tgtadm.alive())) {
      if (Date.now() > deadline) {
        failure = `no answer on management channel ${controlPort} within ${START_TIMEOUT_MS / 1000} s`;
        break;
      }
      await sleep(50);
    }
    if (failure !== null) {
      child.kill('SIGKILL');
      const tail = logTail(logPath);
      if (tail.includes(`another tgtd is using /var/run/tgtd/socket.${controlPort}`))
        throw new ChannelTaken();
      throw new ISCSITargetDaemonUnavailable(`${failure}${tail ? `; ${logPath}: ${tail}` : ''}`);
    }
    // NOTE: when it cannot bind the portal, tgtd does not exit: it falls back to 0.0.0.0:3260.
    if (this.endpoint.lld === 'iscsi') {
      const portals = await tgtadm.portals().catch(() => []);
      if (portals.length !== 1 || portals[0] !== this.portal) {
        await tgtadm.shutdown().catch(() => undefined);
        child.kill('SIGKILL');
        throw new ISCSITargetDaemonUnavailable(
          `tgtd could not listen on ${this.portal} (in use by another process?); it offered ${portals.join(', ') || 'no portal'}`,
        );
      }
    }
    this.#child = child;
    this.#controlPort = controlPort;
    this.#startedAt = Date.now();
    child.once('exit', (code, signal) => this.#exited(child, code, signal));
    await writeFile(this.#file('pid'), `${JSON.stringify({ pid: child.pid, controlPort })}\n`, {
      mode: 0o600,
    });
    ownChildren.add(child);
    this.log.info({ pid: child.pid, controlPort, portal: this.portal }, 'tgtd started');
  }

  #exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    ownChildren.delete(child);
    if (this.#child !== child) return;
    this.#child = null;
    if (this.#stopping) return;
    if (Date.now() - this.#startedAt > HEALTHY_AFTER_MS) this.#backoff = BACKOFF_MS.first;
    const delay = this.#backoff;
    this.#backoff = Math.min(this.#backoff * 2, BACKOFF_MS.max);
    this.log.error(
      { pid: child.pid, code, signal, restartInMs: delay },
      'tgtd exited unexpectedly: every export is gone; restarting it',
    );
    this.#scheduleRestart(delay);
  }

  #scheduleRestart(delay: number): void {
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      if (this.#stopping) return;
      this.ready().then(
        () => this.#notifyRestart(),
        (err: unknown) => {
          const next = this.#backoff;
          this.#backoff = Math.min(this.#backoff * 2, BACKOFF_MS.max);
          this.log.error({ err, restartInMs: next }, 'tgtd restart failed; trying again');
          this.#scheduleRestart(next);
        },
      );
    }, delay);
  }

  #notifyRestart(): void {
    for (const l of this.#listeners) {
      Promise.resolve()
        .then(l)
        .catch((err: unknown) => this.log.error({ err }, 'a tgtd restart listener failed'));
    }
  }

  /** Stops an own tgtd (after the queued changes); external ones are left alone. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
    await this.#starting?.catch(() => undefined);
    await this.#tail;
    const child = this.#child;
    if (!this.own || !child || this.#controlPort === null) return;
    const gone = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    await new Tgtadm(this.#controlPort, 'iscsi', this.bins.tgtadm).shutdown().catch(() => undefined);
    if ((await Promise.race([gone.then(() => true), sleep(5_000, false, { ref: false })])) === false) {
      child.kill('SIGKILL');
      await gone;
    }
    this.#child = null;
    await rm(this.#file('pid'), { force: true });
    this.log.info({ pid: child.pid, controlPort: this.#controlPort }, 'tgtd stopped');
    this.#controlPort = null;
  }

  /** Stops the tgtd an earlier Kindling started here and did not stop (it crashed). */
  async #stopLeftover(): Promise<void> {
    let recorded: { pid: number; controlPort: number };
    try {
      recorded = JSON.parse(await readFile(this.#file('pid'), 'utf8')) as {
        pid: number;
        controlPort: number;
      };
    } catch {
      return;
    }
    const cmdline = procCmdline(recorded.pid);
    if (cmdline[0]?.endsWith('tgtd') && cmdline.includes(`portal=${this.portal}`)) {
      this.log.warn(recorded, 'stopping a tgtd an earlier Kindling left running');
      await new Tgtadm(recorded.controlPort, 'iscsi', this.bins.tgtadm).shutdown().catch(() => undefined);
      for (let i = 0; i < 50 && procCmdline(recorded.pid).length > 0; i++) await sleep(100);
      if (procCmdline(recorded.pid).length > 0) process.kill(recorded.pid, 'SIGKILL');
    }
    await rm(this.#file('pid'), { force: true });
  }

  #file(ext: 'pid' | 'log'): string {
    return join(this.endpoint.stateDir, `tgtd-${this.portal.replace(/[[\]]/g, '')}.${ext}`);
  }
}

/** An own tgtd could not take the management channel: another tgtd has it. */
class ChannelTaken extends Error {}

/** The argv of a live process (empty when gone or a zombie). */
function procCmdline(pid: number): string[] {
  try {
    if (/^\d+ \([^)]*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return [];
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((a) => a !== '');
  } catch {
    return [];
  }
}

function logTail(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-5).join(' | ');
  } catch {
    return '';
  }
}

/** Fails clearly when something listens on ip:port already. */
async function assertPortFree(ip: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const s = createServer();
    s.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new ISCSITargetDaemonUnavailable(
          e.code === 'EADDRINUSE'
            ? `${sanitizeHost(ip)}:${port} is already in use by another process (another tgtd? choose another target_port, or set tgtd_control_port to use that tgtd)`
            : `cannot listen on ${sanitizeHost(ip)}:${port}: ${e.message}`,
        ),
      ),
    );
    s.listen({ host: ip, port, exclusive: true }, () => s.close(() => resolve()));
  });
}

/** Fails with the install hint when `bin` is not on PATH. */
async function assertInstalled(bin: string, args: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const c = spawn(bin, args, { stdio: 'ignore' });
    c.once('error', (e: NodeJS.ErrnoException) =>
      e.code === 'ENOENT'
        ? reject(
            new ISCSITargetDaemonUnavailable(
              `${bin} is not installed: apt-get install tgt (or run scripts/tgt-up.sh DIR, which installs it)`,
            ),
          )
        : resolve(),
    );
    c.once('exit', () => resolve());
  });
}

/** Own tgtds still running: killed if the process exits without stopping them. */
const ownChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of ownChildren) c.kill('SIGKILL');
});

const daemons = new Map<string, TgtdDaemon>();
/** Own tgtds being stopped, so a new instance for the same portal waits until the port is free. */
const stopsUnderWay = new Map<string, Promise<void>>();

/**
 * The shared instance for `endpoint` (made on first use), counted as used once more; give it back
 * with {@link releaseDaemon}.
 */
export function acquireDaemon(endpoint: TgtdEndpoint, log: TargetLogger, bins?: TgtdBinaries): TgtdDaemon {
  const key = daemonKey(endpoint);
  let d = daemons.get(key);
  if (!d) {
    d = new TgtdDaemon(endpoint, log, bins);
    daemons.set(key, d);
  }
  d.retain();
  return d;
}

/** Gives back one use; the last one forgets the instance and stops an own tgtd. */
export async function releaseDaemon(d: TgtdDaemon): Promise<void> {
  if (!d.release()) return;
  if (daemons.get(d.key) === d) daemons.delete(d.key);
  const stopped = d.stop();
  stopsUnderWay.set(d.key, stopped);
  try {
    await stopped;
  } finally {
    if (stopsUnderWay.get(d.key) === stopped) stopsUnderWay.delete(d.key);
  }
}

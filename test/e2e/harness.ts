/**
 * End-to-end harness: starts a real Kindling server (`kindling serve`) in a child process on a free
 * port with its own temporary state dir, and runs the real Debian OpenStack clients
 * (`/usr/bin/cinder`, `/usr/bin/openstack`) against it in Cinder's `noauth` mode.
 *
 * How the clients are pointed at Kindling is documented for users in `docs/clients.md`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { REPO_ROOT, baseServerEnv, freePort, waitForExit } from '../support/server-process.js';

/** The two client programs the e2e tests drive. */
export type CliName = 'cinder' | 'openstack';

/** Absolute paths of the Debian clients (a pyenv python may come first on PATH; never use it). */
export const CLI_PATHS: Readonly<Record<CliName, string>> = Object.freeze({
  cinder: '/usr/bin/cinder',
  openstack: '/usr/bin/openstack',
});

// NOTE: a ceiling, not a wait: a loaded 2-core machine has taken over 20 s to start tsx and answer.
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 5_000;
const CLI_TIMEOUT_MS = 60_000;
const MAX_LOG_CHARS = 1_000_000;

/** A running Kindling server started by {@link startKindling}. */
export interface KindlingProcess {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  /** The server's `KINDLING_STATE_DIR` (volume files are `<stateDir>/volumes/volume-<uuid>`). */
  stateDir: string;
  /** Kills the server (SIGTERM, then SIGKILL after 5 s) and removes its temporary files. */
  stop(): Promise<void>;
  /** Everything the server wrote to stdout and stderr so far. */
  logs(): string;
}

/** Options for {@link startKindling}. */
export interface StartKindlingOptions {
  /** Extra environment for the server (wins over the harness defaults). */
  env?: Record<string, string>;
  /** cinder.conf-style text written to a temp file that `KINDLING_CONFIG` points at. */
  configText?: string;
}

/**
 * Starts `node --import tsx src/cmd/kindling.ts serve` on a free port with a fresh temp state dir
 * and resolves once `GET /` answers. Rejects (with the server's logs) if it does not within 90 s
 * or if the process exits first.
 */
export async function startKindling(opts: StartKindlingOptions = {}): Promise<KindlingProcess> {
  const root = await mkdtemp(join(tmpdir(), 'kindling-e2e-'));
  const stateDir = join(root, 'state');
  await mkdir(stateDir);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...baseServerEnv(),
    KINDLING_PORT: String(port),
    KINDLING_STATE_DIR: stateDir,
  };
  if (opts.configText !== undefined) {
    const configPath = join(root, 'kindling.conf');
    await writeFile(configPath, opts.configText);
    env.KINDLING_CONFIG = configPath;
  }
  Object.assign(env, opts.env);

  let output = '';
  const append = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    if (output.length > MAX_LOG_CHARS) output = output.slice(-MAX_LOG_CHARS);
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cmd/kindling.ts', 'serve'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  let spawnError: Error | undefined;
  child.on('error', (err) => {
    spawnError = err;
  });

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
        child.kill('SIGKILL');
        await waitForExit(child, STOP_TIMEOUT_MS);
      }
    }
    await rm(root, { recursive: true, force: true });
  };
  const handle: KindlingProcess = { url, port, stateDir, stop, logs: () => output };

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const exited = child.exitCode !== null || child.signalCode !== null;
    if (spawnError !== undefined || exited) {
      await stop();
      const why = spawnError?.message ?? `exit code ${child.exitCode}, signal ${child.signalCode}`;
      throw new Error(`kindling serve ended before answering (${why}); its output:\n${output}`);
    }
    try {
      const res = await fetch(`${url}/`, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      return handle;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `kindling serve did not answer GET / within ${START_TIMEOUT_MS} ms; its output:\n${output}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The server of the enclosing `describe`: started before its first test, stopped after its last.
 * Read its members only inside tests and hooks.
 */
export function kindlingForSuite(opts: StartKindlingOptions = {}): KindlingProcess {
  let server: KindlingProcess | undefined;
  before(async () => {
    server = await startKindling(opts);
  });
  after(async () => {
    await server?.stop();
  });
  const started = (): KindlingProcess => {
    if (!server) throw new Error('the suite server is not running (read it inside a test)');
    return server;
  };
  return {
    get url() {
      return started().url;
    },
    get port() {
      return started().port;
    },
    get stateDir() {
      return started().stateDir;
    },
    stop: () => started().stop(),
    logs: () => started().logs(),
  };
}

/** True when the Debian client package(s) are installed (`bin` narrows the check to one client). */
export function clientsAvailable(bin?: CliName): boolean {
  const names: CliName[] = bin === undefined ? ['cinder', 'openstack'] : [bin];
  return existsSync('/usr/bin/python3') && names.every((n) => existsSync(CLI_PATHS[n]));
}

/** The reason a test gives when it must skip because a Debian client package is missing. */
export function clientSkipReason(bin: CliName): string | false {
  if (clientsAvailable(bin)) return false;
  const pkg = bin === 'cinder' ? 'python3-cinderclient' : 'python3-openstackclient';
  return `${CLI_PATHS[bin]} is missing: apt-get install -y ${pkg} (CI installs it)`;
}

/** Who the noauth token (`user:project`) names; both default to `admin`. */
export interface NoauthOptions {
  user?: string;
  project?: string;
}

/**
 * Environment that points one client at Kindling in Cinder's `noauth` mode (see docs/clients.md).
 * `cinder`: `CINDER_ENDPOINT=<url>/v3/<project>`; `openstack`: the cinderclient `noauth` plugin,
 * which appends the project id to `OS_ENDPOINT` itself, with the image service switched off so
 * `volume create` does not look for one.
 */
export function noauthEnv(bin: CliName, url: string, opts: NoauthOptions = {}): Record<string, string> {
  const user = opts.user ?? 'admin';
  const project = opts.project ?? 'admin';
  const common = { OS_AUTH_TYPE: 'noauth', OS_USER_ID: user, OS_PROJECT_ID: project };
  if (bin === 'cinder') return { ...common, CINDER_ENDPOINT: `${url}/v3/${project}` };
  return { ...common, OS_CLOUD: 'envvars', OS_ENDPOINT: `${url}/v3`, OS_HAS_IMAGE: '' };
}

/** Result of one client run. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `/usr/bin/<bin> <args>` with a clean environment (no OS_* from the caller's shell, no
 * pyenv) plus `env` (usually from {@link noauthEnv}). Never rejects on a non-zero exit.
 */
export async function runCli(bin: CliName, args: string[], env: Record<string, string>): Promise<CliResult> {
  const childEnv: Record<string, string> = {
    PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: tmpdir(),
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    ...env,
  };
  return new Promise((resolveRun, reject) => {
    const child = spawn(CLI_PATHS[bin], args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), CLI_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

/** Options of {@link runClient}. */
export interface RunClientOptions extends NoauthOptions {
  /** Assert exit 0, with the server's log tail in the message (default true). */
  expectOk?: boolean;
  /** The client's environment instead of `noauthEnv(bin, url, { user, project })`. */
  env?: Record<string, string>;
}

/** Runs `bin args` against `kindling` as the noauth `user`/`project` (both default to `admin`). */
export async function runClient(
  kindling: KindlingProcess,
  bin: CliName,
  args: string[],
  opts: RunClientOptions = {},
): Promise<CliResult> {
  const r = await runCli(bin, args, opts.env ?? noauthEnv(bin, kindling.url, opts));
  if (opts.expectOk ?? true)
    assert.equal(
      r.code,
      0,
      `${describeRun(bin, args, r)}\nserver log tail:\n${kindling.logs().slice(-4000)}`,
    );
  return r;
}

/**
 * Calls `probe` every `intervalMs` until it returns a value other than `undefined`, and returns
 * that value; rejects with `what` and the last probe's description after `timeoutMs`.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Formats a client run for assertion messages. */
export function describeRun(bin: CliName, args: string[], r: CliResult): string {
  return `${bin} ${args.join(' ')} -> exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

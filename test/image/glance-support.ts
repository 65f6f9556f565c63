/**
 * A real Glance for the image tests: scripts/glance-up.sh in a new temporary directory on a free
 * port (noauth or keystone, optionally with the rbd store), and glance-down.sh --wipe to remove
 * it. Starting one takes ~20 s (the first time also installs glance-api with apt).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newRequestId, type CatalogEntry, type RequestContext } from '../../src/common/context.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const UP = join(REPO_ROOT, 'scripts', 'glance-up.sh');
const DOWN = join(REPO_ROOT, 'scripts', 'glance-down.sh');

export interface TestGlance {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly dir: string;
  readonly auth: 'noauth' | 'keystone';
  /** The file store's directory (images are files named by their id). */
  readonly imagesDir: string;
  /** Stops Glance and removes its directory. */
  stop(): void;
}

export interface StartGlanceOptions {
  readonly auth?: 'noauth' | 'keystone';
  /** The cluster of the rbd store (the rbd store becomes the default). */
  readonly ceph?: { readonly conf: string; readonly keyring: string; readonly pool?: string };
  /** Extra environment (KINDLING_KS_* for another Keystone). */
  readonly env?: Readonly<Record<string, string>>;
}

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

/**
 * Starts a Glance; the reason to skip when it (or, in keystone mode, Keystone) cannot be
 * installed here.
 * @throws Error when the script fails for another reason
 */
export async function startGlance(opts: StartGlanceOptions = {}): Promise<TestGlance | { skip: string }> {
  const auth = opts.auth ?? 'noauth';
  const dir = mkdtempSync(join(tmpdir(), 'kindling-glance-'));
  const port = await freePort();
  const args = [UP, dir, `--${auth}`, ...(opts.ceph ? ['--rbd'] : [])];
  const run = await runScript(args, {
    ...process.env,
    GLANCE_PORT: String(port),
    ...(opts.ceph && {
      CEPH_CONF: opts.ceph.conf,
      CEPH_KEYRING: opts.ceph.keyring,
      GLANCE_RBD_POOL: opts.ceph.pool ?? 'images',
    }),
    ...opts.env,
  });
  const out = `${run.stdout}${run.stderr}`.trim();
  const remove = (): void => {
    spawnSync('bash', [DOWN, dir, '--wipe'], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
    rmSync(`${dir}.lock`, { force: true });
  };
  if (run.status === 3) {
    remove();
    return { skip: `no Glance: ${out.split('\n').at(-1)} (scripts/glance-up.sh needs root or sudo and apt)` };
  }
  if (run.status !== 0) {
    spawnSync('bash', [DOWN, dir], { stdio: 'ignore' });
    throw new Error(
      `scripts/glance-up.sh failed (${run.status}), state left in ${dir}:\n${out.slice(-4000)}`,
    );
  }
  const vars = Object.fromEntries(
    run.stdout
      .split('\n')
      .filter((l) => /^GLANCE_[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return { url: vars.GLANCE_URL!, dir, auth, imagesDir: join(dir, 'images'), stop: remove };
}

/** Runs a script without blocking (two Glances may start side by side). */
function runScript(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('bash', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('error', reject);
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** A noauth caller (an admin, as every noauth caller of Kindling). */
export function noauthContext(project = 'admin'): RequestContext {
  return {
    userId: project,
    projectId: project,
    isAdmin: true,
    roles: ['admin'],
    requestId: newRequestId(),
    authToken: `${project}:${project}`,
  };
}

/** A keystone-mode caller with a real token (and its catalog, trimmed as Kindling trims it). */
export function keystoneContext(
  token: string,
  userId: string,
  projectId: string,
  catalog?: readonly CatalogEntry[],
): RequestContext {
  return {
    userId,
    projectId,
    isAdmin: false,
    roles: ['member', 'reader'],
    requestId: newRequestId(),
    authToken: token,
    ...(catalog && { serviceCatalog: catalog }),
  };
}

/**
 * The real Keystone of `scripts/keystone-up.sh` for the keystone-mode end-to-end tests: starting it
 * (or learning why it cannot run here), tokens for its users, and a Kindling in keystone mode.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startKindling, type KindlingProcess } from './harness.js';
import { REPO_ROOT } from '../support/server-process.js';

export const KS_PORT = Number(process.env.KINDLING_KS_PORT ?? 5001);
export const KS_DIR = process.env.KINDLING_KS_DIR ?? '/tmp/kindling-keystone';
export const KS_URL = `http://127.0.0.1:${KS_PORT}`;
export const KS_PASSWORD = process.env.KINDLING_KS_PASSWORD ?? 'secret';

/**
 * Runs `scripts/keystone-up.sh` (installs Debian's keystone the first time: minutes). Returns false
 * when Keystone is up, or the reason to skip when it cannot be installed here (exit status 3).
 * @throws Error when the script fails for another reason
 */
export function keystoneUp(): string | false {
  const run = spawnSync('bash', [join(REPO_ROOT, 'scripts/keystone-up.sh')], {
    env: {
      ...process.env,
      KINDLING_KS_PORT: String(KS_PORT),
      KINDLING_KS_DIR: KS_DIR,
      KINDLING_KS_PASSWORD: KS_PASSWORD,
    },
    encoding: 'utf8',
    timeout: 900_000,
  });
  if (run.status === 0) return false;
  const out = `${run.stdout}${run.stderr}`.trim();
  if (run.status === 3)
    return `no Keystone: ${out.split('\n').at(-1)} (scripts/keystone-up.sh needs root or sudo and apt)`;
  throw new Error(`scripts/keystone-up.sh failed (${run.status ?? run.signal}):\n${out.slice(-4000)}`);
}

/** A token of a user of the script (`admin`, `demo`, `alt_demo`), scoped to the same-named project. */
export interface Token {
  token: string;
  userId: string;
  projectId: string;
}

export async function issueToken(user: string): Promise<Token> {
  return authenticate({
    identity: {
      methods: ['password'],
      password: { user: { name: user, domain: { name: 'Default' }, password: KS_PASSWORD } },
    },
    scope: { project: { name: user, domain: { name: 'Default' } } },
  });
}

/** POST /v3/auth/tokens with the given `auth` body. */
export async function authenticate(auth: unknown): Promise<Token> {
  const res = await fetch(`${KS_URL}/v3/auth/tokens?nocatalog`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth }),
  });
  const body = (await res.json()) as { token: { user: { id: string }; project: { id: string } } };
  if (res.status !== 201) throw new Error(`Keystone refused a token: ${res.status} ${JSON.stringify(body)}`);
  return {
    token: res.headers.get('x-subject-token')!,
    userId: body.token.user.id,
    projectId: body.token.project.id,
  };
}

/** One call to Keystone's API with `token`; the parsed body (or null) and the status. */
export async function keystone(
  method: string,
  path: string,
  token: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${KS_URL}${path}`, {
    method,
    headers: { 'x-auth-token': token, 'content-type': 'application/json', ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/**
 * A Kindling (`kindling serve`, own port and state) in keystone mode against that Keystone:
 * `$KS_DIR/kindling-keystone.conf` plus `extra` (cinder.conf text appended to it).
 */
export async function startKeystoneKindling(extra = ''): Promise<KindlingProcess> {
  const base = readFileSync(join(KS_DIR, 'kindling-keystone.conf'), 'utf8');
  return startKindling({ configText: `${base}\n${extra}` });
}

/**
 * The built-in dashboard (`/dashboard`, on the API port of `kindling serve` and `kindling api`;
 * `[dashboard] enabled`): static files — plain HTML, CSS and ES modules from
 * `src/dashboard/static/` (copied to `dist/dashboard/static/` by the build) — and one JSON route,
 * `/dashboard/session`, telling the page how to call the API. Everything the page shows it reads
 * from the Block Storage API v3 itself, as an admin, with the caller's token; the files hold no
 * data, so they are served to anyone.
 *
 * - noauth: every caller is an admin; the page calls the API with the token `admin:admin`.
 * - keystone: the page asks for a token (or takes one from the URL's `#token=` fragment, which
 *   never reaches a server) and keeps it in the tab's sessionStorage; `/dashboard/session`
 *   validates it as the API does and refuses a token without the admin role (403), so does every
 *   admin API the page calls. No cookie is set: the token travels only as `X-Auth-Token`.
 *
 * See docs/operations.md, "Dashboard".
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { ItemNotFound, PolicyNotAuthorized } from '../common/errors.js';
import type { KeystoneHttpAuth } from '../api/auth/keystone-http.js';

/** Where the page's files are: next to this module (src/ or dist/), else in the source tree. */
export const STATIC_DIRS: readonly string[] = [
  fileURLToPath(new URL('./static/', import.meta.url)),
  fileURLToPath(new URL('../../src/dashboard/static/', import.meta.url)),
];

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The page may load and call only its own origin; no framing, no inline script. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

interface StaticFile {
  readonly type: string;
  readonly body: Buffer;
}

/** The first directory of `dirs` that holds an index.html. */
export function findStaticDir(dirs: readonly string[] = STATIC_DIRS): string | null {
  return dirs.find((d) => existsSync(join(d, 'index.html'))) ?? null;
}

/** Every file of `dir` the page is made of (flat; known types only), read once. */
function loadFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    const path = join(dir, name);
    if (type && statSync(path).isFile()) files.set(name, { type, body: readFileSync(path) });
  }
  return files;
}

/** What the page needs to call the API: `GET /dashboard/session`. */
export interface DashboardSession {
  auth_strategy: 'noauth' | 'keystone';
  /** The project of the API's URLs (`/v3/{project_id}/…`); null for a token scoped to none. */
  project_id: string | null;
  user_id: string | null;
  roles: readonly string[];
  /** Seconds between two refreshes (`[dashboard] refresh_interval`). */
  refresh_interval: number;
}

/** Route generics: the URL parameters of a route. */
type ByFile = { Params: { file: string } };

/**
 * Registers `/dashboard` (a redirect to `/dashboard/`), `/dashboard/` (the page),
 * `/dashboard/<file>` and `/dashboard/session`; nothing when `[dashboard] enabled` is false or
 * the files cannot be found (logged).
 */
export function registerDashboard(
  app: FastifyInstance,
  config: Config,
  keystone: KeystoneHttpAuth | null,
  log: Logger,
  dirs: readonly string[] = STATIC_DIRS,
): void {
  if (!config.dashboard.enabled) return;
  const dir = findStaticDir(dirs);
  if (!dir) {
    log.warn({ looked_in: dirs }, 'dashboard: no index.html found; /dashboard is not served');
    return;
  }
  const files = loadFiles(dir);
  const send = (reply: FastifyReply, name: string) => {
    const f = files.get(name);
    if (!f) throw new ItemNotFound();
    return reply.headers(SECURITY_HEADERS).type(f.type).send(f.body);
  };

  // NOTE: the router ignores trailing slashes, so one route answers both; the page's relative
  // URLs need the slash, hence the redirect (relative, so a proxy's path prefix is kept).
  app.get('/dashboard', async (req, reply) =>
    req.url.split('?')[0]!.endsWith('/') ? send(reply, 'index.html') : reply.redirect('dashboard/', 301),
  );
  app.get('/dashboard/session', async (req, reply) => {
    let session: DashboardSession;
    if (keystone) {
      const ctx = await keystone.authenticate(req, reply);
      if (!ctx) return reply; // 401 sent, with WWW-Authenticate
      if (!ctx.isAdmin) throw new PolicyNotAuthorized('dashboard:view');
      session = {
        auth_strategy: 'keystone',
        project_id: ctx.projectId,
        user_id: ctx.userId,
        roles: ctx.roles,
        refresh_interval: config.dashboard.refresh_interval,
      };
    } else {
      session = {
        auth_strategy: 'noauth',
        project_id: 'admin',
        user_id: 'admin',
        roles: ['admin'],
        refresh_interval: config.dashboard.refresh_interval,
      };
    }
    return reply.header('cache-control', 'no-store').send(session);
  });
  app.get<ByFile>('/dashboard/:file', async (req, reply) => {
    const name = req.params.file;
    if (name === 'index.html' || !/^[\w.-]+$/.test(name)) throw new ItemNotFound();
    return send(reply, name);
  });
}

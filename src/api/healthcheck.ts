/**
 * `/healthcheck`, as oslo.middleware's healthcheck application in Cinder's api-paste.ini, with
 * checks of what the API needs to work besides itself. Each check is one result (oslo's
 * `HealthcheckResult`: available, reason, details):
 * - `DisableByFileHealthcheck` (oslo's `disable_by_file` backend): while
 *   `[healthcheck] disable_by_file_path` exists, `DISABLED BY FILE` (to drain a node);
 * - `DatabaseHealthcheck`: the database answers `SELECT 1` within {@link DATABASE_TIMEOUT_MS};
 * - `MessagingHealthcheck`: the message bus is connected (in-process: always; RabbitMQ: the
 *   connection is up);
 * - `VolumeServicesHealthcheck`: every backend that has an enabled volume service (a `host@backend`,
 *   or a cluster) has one up (a heartbeat within `service_down_time`), and there is at least one.
 *
 * GET answers 200 when all are available, else 503; HEAD 204 or 503 without a body. The body is
 * negotiated as oslo's (text/plain, text/html, application/json; text/plain by default): `OK`, or
 * the reasons of the failed checks, one per line. `?detailed` (admins only: any noauth caller, a
 * keystone token with the admin role) adds each check's class and details and facts about the
 * process, in oslo's detailed JSON and HTML shapes (and, where oslo's text stays terse, one line
 * per check in text/plain). No token is needed otherwise, as in Cinder.
 */
import { existsSync } from 'node:fs';
import { arch, hostname, release, type } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CoreDeps } from '../common/deps.js';
import { PolicyNotAuthorized } from '../common/errors.js';
import { databasePing } from '../db/api/ping.js';
import { serviceIsUp, volumeServiceStates } from '../volume/service-rows.js';
import type { KeystoneHttpAuth } from './auth/keystone-http.js';

/** How long the database may take to answer `SELECT 1` before it counts as unavailable. */
export const DATABASE_TIMEOUT_MS = 3000;

/** One check's result (oslo's `HealthcheckResult`, with the check's class name). */
export interface HealthcheckResult {
  readonly available: boolean;
  readonly reason: string;
  readonly details: string;
  readonly class: string;
}

const ok = (cls: string, details: string): HealthcheckResult => ({
  available: true,
  reason: 'OK',
  details,
  class: cls,
});
const failed = (cls: string, reason: string, details: string): HealthcheckResult => ({
  available: false,
  reason,
  details,
  class: cls,
});

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

function disableByFile(path: string | null): HealthcheckResult {
  const cls = 'DisableByFileHealthcheck';
  if (!path) return ok(cls, "No 'disable_by_file_path' configuration value specified");
  return existsSync(path)
    ? failed(cls, 'DISABLED BY FILE', `Path '${path}' was found`)
    : ok(cls, `Path '${path}' was not found`);
}

async function database(core: CoreDeps): Promise<HealthcheckResult> {
  const cls = 'DatabaseHealthcheck';
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      databasePing(core.dbh.db),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${DATABASE_TIMEOUT_MS / 1000} s`)),
          DATABASE_TIMEOUT_MS,
        );
      }),
    ]);
    return ok(cls, `${core.dbh.dialect} answered SELECT 1 in ${(performance.now() - start).toFixed(1)} ms`);
  } catch (e) {
    return failed(cls, 'DATABASE UNAVAILABLE', `${core.dbh.dialect}: ${message(e)}`);
  } finally {
    clearTimeout(timer);
  }
}

function messaging(core: CoreDeps): HealthcheckResult {
  const cls = 'MessagingHealthcheck';
  const scheme = core.config.DEFAULT.transport_url.split(':')[0] ?? '';
  if (scheme === 'inproc') return ok(cls, 'in-process message bus');
  return core.transport.connected?.() !== false
    ? ok(cls, `connected to the message broker (${scheme})`)
    : failed(
        cls,
        'MESSAGE BUS DISCONNECTED',
        `not connected to the message broker (${scheme}); reconnecting`,
      );
}

async function volumeServices(core: CoreDeps, databaseUp: boolean): Promise<HealthcheckResult> {
  const cls = 'VolumeServicesHealthcheck';
  if (!databaseUp) return failed(cls, 'VOLUME SERVICES UNKNOWN', 'the database does not answer');
  const downTime = core.config.DEFAULT.service_down_time;
  let rows;
  try {
    rows = await volumeServiceStates(core.dbh.db);
  } catch (e) {
    return failed(cls, 'VOLUME SERVICES UNKNOWN', `cannot read the services: ${message(e)}`);
  }
  const now = Date.now();
  // A backend is a `host@backend`, or a cluster (`cluster@backend`) of such services.
  const backends = new Map<string, { up: string[]; down: string[] }>();
  for (const r of rows) {
    if (r.disabled) continue;
    const key = r.cluster_name ?? r.host;
    const b = backends.get(key) ?? { up: [], down: [] };
    backends.set(key, b);
    (serviceIsUp(r, downTime, now) ? b.up : b.down).push(r.host);
  }
  if (backends.size === 0)
    return failed(cls, 'NO VOLUME SERVICE', 'no enabled volume service has registered');
  const down = [...backends].filter(([, b]) => b.up.length === 0).map(([key]) => key);
  const summary = [...backends].map(([key, b]) => `${key}: ${b.up.length} up, ${b.down.length} down`);
  if (down.length)
    return failed(
      cls,
      'VOLUME SERVICE DOWN',
      `no volume service up (service_down_time ${downTime} s) for ${down.join(', ')}; ${summary.join('; ')}`,
    );
  return ok(cls, summary.join('; '));
}

/** Runs every check (the database first: the volume services are read from it). */
export async function runHealthchecks(core: CoreDeps): Promise<HealthcheckResult[]> {
  const db = await database(core);
  return [
    disableByFile(core.config.healthcheck.disable_by_file_path),
    db,
    messaging(core),
    await volumeServices(core, db.available),
  ];
}

// ---- rendering (oslo's shapes)

const OFFERS = ['text/plain', 'text/html', 'application/json'] as const;
type Offer = (typeof OFFERS)[number];

/**
 * The offer the `Accept` header prefers (webob's `acceptable_offers`, first of the best): each
 * offer takes the quality of the most specific range matching it; no header, or no acceptable
 * offer, is text/plain (oslo never answers 406 here).
 */
export function negotiate(accept: string | undefined): Offer {
  if (!accept?.trim()) return 'text/plain';
  const ranges = accept.split(',').map((part) => {
    const [range = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    const quality = q === undefined ? 1 : Number(q.slice(2));
    return { range, q: Number.isFinite(quality) ? quality : 0 };
  });
  let best: Offer = 'text/plain';
  let bestQ = 0;
  for (const offer of OFFERS) {
    const [t] = offer.split('/');
    const specificity = (range: string) =>
      range === offer ? 3 : range === `${t}/*` ? 2 : range === '*/*' || range === '*' ? 1 : 0;
    let q = 0;
    let level = 0;
    for (const r of ranges) {
      const s = specificity(r.range);
      if (s > level) [level, q] = [s, r.q];
    }
    if (q > bestQ) [best, bestQ] = [offer, q];
  }
  return best;
}

/** oslo's `str(timeutils.utcnow())`: `2016-08-24 06:11:59.419267`. */
function pythonNow(): string {
  return `${new Date().toISOString().replace('T', ' ').replace('Z', '')}000`;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!);

/** What `?detailed` adds about the process (oslo's python_version/platform/now, for Node). */
function processFacts() {
  return {
    hostname: hostname(),
    now: pythonNow(),
    node_version: process.version,
    platform: `${type()}-${release()}-${arch()}`,
    pid: process.pid,
    uptime_seconds: Math.round(process.uptime()),
  };
}

/** The answer's reasons: `OK` when every check passed, else the reasons of those that failed. */
function reasonsOf(results: readonly HealthcheckResult[]): string[] {
  const bad = results.filter((r) => !r.available);
  return bad.length ? [...new Set(bad.map((r) => r.reason))] : ['OK'];
}

/** Keys sorted, four spaces, as oslo's `json.dumps(indent=4, sort_keys=True)`. */
function prettyJson(value: unknown): string {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sorted)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
          )
        : v;
  return JSON.stringify(sorted(value), null, 4);
}

function jsonBody(results: readonly HealthcheckResult[], detailed: boolean): string {
  if (!detailed) return prettyJson({ detailed: false, reasons: reasonsOf(results) });
  const { hostname: _host, ...facts } = processFacts();
  return prettyJson({
    detailed: true,
    ...facts,
    reasons: results.map((r) => ({ reason: r.reason, details: r.details, class: r.class })),
  });
}

function htmlBody(results: readonly HealthcheckResult[], detailed: boolean): string {
  const rows = detailed
    ? results.map(
        (r) =>
          `<TR>\n    <TD>${escapeHtml(r.class)}</TD>\n    <TD>${escapeHtml(r.reason)}</TD>\n    <TD>${escapeHtml(r.details)}</TD>\n</TR>`,
      )
    : reasonsOf(results).map((reason) => `<TR>\n    <TD>${escapeHtml(reason)}</TD>\n</TR>`);
  const header = detailed
    ? '<TH>\nKind\n</TH>\n<TH>\nReason\n</TH>\n<TH>\nDetails\n</TH>'
    : '<TH>\nReason\n</TH>';
  const f = processFacts();
  const status = detailed
    ? [
        '<H1>Server status</H1>',
        `<B>Server hostname:</B><PRE>${escapeHtml(f.hostname)}</PRE>`,
        `<B>Current time:</B><PRE>${escapeHtml(f.now)}</PRE>`,
        `<B>Node.js version:</B><PRE>${escapeHtml(f.node_version)}</PRE>`,
        `<B>Platform:</B><PRE>${escapeHtml(f.platform)}</PRE>`,
        '<HR></HR>',
      ]
    : [];
  return [
    '<HTML>',
    '<HEAD><TITLE>Healthcheck Status</TITLE></HEAD>',
    '<BODY>',
    ...status,
    `<H2>Result of ${detailed ? results.length : rows.length} checks:</H2>`,
    '<TABLE bgcolor="#ffffff" border="1">',
    '<TBODY>',
    `<TR>\n${header}\n</TR>`,
    ...rows,
    '</TBODY>',
    '</TABLE>',
    '<HR></HR>',
    '</BODY>',
    '</HTML>',
  ].join('\n');
}

/** Whether `?detailed` was asked for (`?detailed`, `?detailed=1|true|yes|on`). */
function wantsDetail(req: FastifyRequest): boolean {
  const v = (req.query as Record<string, unknown> | undefined)?.detailed;
  return typeof v === 'string' && ['', '1', 'true', 'yes', 'on'].includes(v.toLowerCase());
}

/**
 * Lets admins only through: in noauth mode every caller is one; in keystone mode the token must be
 * valid (else keystonemiddleware's 401, already sent: returns false) and carry the admin role
 * (else 403 `Policy doesn't allow <action> to be performed.`).
 */
export async function adminOnly(
  keystone: KeystoneHttpAuth | null,
  req: FastifyRequest,
  reply: FastifyReply,
  action: string,
): Promise<boolean> {
  if (!keystone) return true;
  const ctx = await keystone.authenticate(req, reply);
  if (!ctx) return false;
  if (!ctx.isAdmin) throw new PolicyNotAuthorized(action);
  return true;
}

/** Registers `GET`/`HEAD /healthcheck` on the API. */
export function registerHealthcheck(
  app: FastifyInstance,
  core: CoreDeps,
  keystone: KeystoneHttpAuth | null,
): void {
  // NOTE: HEAD is its own route (before GET, so fastify adds none): 204/503 without a body, as oslo.
  app.head('/healthcheck', async (_req, reply) => {
    const healthy = (await runHealthchecks(core)).every((r) => r.available);
    return reply
      .code(healthy ? 204 : 503)
      .type('text/plain; charset=UTF-8')
      .send();
  });
  app.get('/healthcheck', async (req, reply) => {
    const detailed = wantsDetail(req);
    if (detailed && !(await adminOnly(keystone, req, reply, 'healthcheck:detailed'))) return reply;
    const results = await runHealthchecks(core);
    const healthy = results.every((r) => r.available);
    const offer = negotiate(req.headers.accept);
    const body =
      offer === 'application/json'
        ? jsonBody(results, detailed)
        : offer === 'text/html'
          ? htmlBody(results, detailed)
          : detailed
            ? results.map((r) => `${r.class}: ${r.reason} (${r.details})`).join('\n')
            : reasonsOf(results).join('\n');
    return reply
      .code(healthy ? 200 : 503)
      .type(`${offer}${offer === 'application/json' ? '' : '; charset=UTF-8'}`)
      .send(body);
  });
}

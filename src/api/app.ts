import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { runInRequestScope } from '../common/request-scope.js';
import { BadRequest, CinderError, ItemNotFound, UnsupportedMediaType } from '../common/errors.js';
import type { ApiDeps } from './deps.js';
import { decodeBody, parseJsonBody } from './body.js';
import { clientErrorHandler } from './early-errors.js';
import { errorToFault, faultBody } from './fault.js';
import { negotiateVersion, versionHeaderValue, MIN_API_VERSION, API_VERSION_HEADER } from './microversion.js';
import { noauthContext, noauthTokenHeaders } from './auth/noauth.js';
import { keystoneAuthFor } from './auth/keystone-http.js';
import { configurePolicy } from '../auth/policy-config.js';
import { versionsDocument } from './versions.js';
import { registerV3Routes } from './v3/router.js';
import { registerDashboard } from '../dashboard/routes.js';
import { registerHealthcheck } from './healthcheck.js';
import { registerMetrics } from './metrics.js';
import { observeHttpRequest, UNMATCHED_ROUTE } from '../metrics/http.js';
import './request.js';

/** Cinder's `max_request_body_size` default (oslo sizelimit middleware). */
const BODY_LIMIT = 114688;

function baseUrlOf(req: FastifyRequest): string {
  const proto = (req.headers['x-forwarded-proto'] as string | undefined) ?? 'http';
  return `${proto}://${req.headers.host ?? '127.0.0.1'}`;
}

/** One route of the API: its method and URL pattern (`/v3/:project_id/volumes/:id`). */
export interface RouteSummary {
  readonly method: string;
  readonly url: string;
}

const ROUTES = new WeakMap<FastifyInstance, RouteSummary[]>();

/** Every route {@link buildApi} registered, in registration order (HEAD routes included). */
export function routeTable(app: FastifyInstance): readonly RouteSummary[] {
  return ROUTES.get(app) ?? [];
}

/**
 * Builds the API server: the version documents, the v3 routes (each both with and without a
 * project id in the URL), request ids, microversions, noauth, and Cinder's fault bodies.
 */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const log = deps.core.log;
  const metricsOn = deps.core.config.metrics.enabled;
  // NOTE: Node checks request deadlines every `connectionsCheckingInterval`, 30 s by default; a
  // deadline of seconds needs a finer check.
  const requestTimeout = deps.core.config.DEFAULT.client_body_timeout * 1000;
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    // A request (headers and body) must arrive within client_body_timeout, else 408 and close;
    // a connection idle for client_socket_timeout in the middle of one is closed.
    requestTimeout,
    connectionTimeout: deps.core.config.DEFAULT.client_socket_timeout * 1000,
    http: {
      requestTimeout,
      connectionsCheckingInterval: requestTimeout
        ? Math.min(30_000, Math.max(100, requestTimeout / 4))
        : 30_000,
    },
    logger: false,
    genReqId: () => `req-${randomUUID()}`,
    // NOTE: Cinder takes path parts of any length and answers with its own 400s; find-my-way's 100
    // would 414. Node refuses a request line and headers over 16 KiB (431) before this matters.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 16384 },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false } },
    // Errors before a route: a path that is not percent-encoded UTF-8 (the router's), and what
    // Node's HTTP parser refuses (oversized or unreadable headers); both as Cinder faults.
    frameworkErrors: (err, req, reply) => {
      const bad = err.code === 'FST_ERR_BAD_URL';
      // NOTE: no route, so no onResponse hook: the access line is written here.
      reply.raw.once('finish', () => {
        accessLog(log, req, reply);
        if (metricsOn) observeHttp(req, reply);
      });
      void sendFault(
        log,
        req,
        reply,
        bad ? new BadRequest('Malformed request URL: it is not valid percent-encoded UTF-8.') : err,
      );
    },
    clientErrorHandler: clientErrorHandler((e) =>
      log.info(
        { request_id: e.requestId, status: e.status, code: e.code, remote_address: e.remoteAddress },
        `${e.remoteAddress ?? '-'} "-" status: ${e.status} (${e.code ?? 'client error'})`,
      ),
    ),
  });

  const routes: RouteSummary[] = [];
  ROUTES.set(app, routes);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url });
  });

  app.removeAllContentTypeParsers();
  // NOTE: Cinder parses any body as JSON; a body that is not JSON is `Malformed request body`.
  // Bytes that are not UTF-8 are refused (`Invalid UTF-8`), never stored as U+FFFD.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => {
    const ct = String(req.headers['content-type'] ?? 'application/json')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    if (ct && ct !== 'application/json' && !ct.endsWith('+json') && ct !== 'text/plain')
      return done(new UnsupportedMediaType(), undefined);
    try {
      done(null, parseJsonBody(decodeBody(body as Buffer)));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  // Everything a request leads to — its handler, the flows it runs, the RPC messages it sends —
  // runs in its scope, so log lines and notifications name it (`request_id`). Body parsing runs
  // in the socket's async context, so the scope is entered again once the body is in.
  app.addHook('onRequest', (req, _reply, done) => runInRequestScope(req.id, done));
  app.addHook('preValidation', (req, _reply, done) => runInRequestScope(req.id, done));
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-openstack-request-id', req.id);
    reply.header('x-compute-request-id', req.id);
  });
  // NOTE: with SQLite's group commit a read may see commits whose WAL sync is still in flight
  // (src/db/group-commit-sqlite.ts): no answer leaves before all it may reflect is durable, so
  // nothing a power loss could still take back is ever shown or acknowledged.
  if (deps.core.dbh.dialect === 'sqlite') {
    const dbh = deps.core.dbh;
    app.addHook('onSend', async (req, reply, payload) => {
      try {
        await dbh.durable();
        return payload;
      } catch (err) {
        log.error({ err, request_id: req.id }, 'the database could not make its commits durable');
        const fault = errorToFault(err);
        reply.code(fault.status).header('content-type', 'application/json; charset=utf-8');
        return JSON.stringify(fault.body);
      }
    });
  }
  // One access line per request, as oslo.service's wsgi server writes it.
  app.addHook('onResponse', (req, reply, done) => {
    accessLog(log, req, reply);
    if (metricsOn) observeHttp(req, reply);
    done();
  });

  app.setErrorHandler((err, req, reply) => sendFault(log, req, reply, err));
  app.setNotFoundHandler((req, reply) => sendFault(log, req, reply, new ItemNotFound()));

  const versions = (status: number) => async (req: FastifyRequest, reply: FastifyReply) =>
    reply.code(status).send(versionsDocument(baseUrlOf(req)));
  app.get('/', versions(300));
  // Auth: the policy (defaults + policy.yaml) and, with auth_strategy = keystone, Keystone tokens.
  configurePolicy(deps.core.config, deps.core.log);
  const keystone = keystoneAuthFor(deps.core.config, deps.core.log);
  // NOTE: as in Cinder, `/` is open but `/v3/` sits behind keystonemiddleware.
  const keystoneGate = async (req: FastifyRequest, reply: FastifyReply) =>
    keystone && !(await keystone.authenticate(req, reply)) ? reply : undefined;
  app.get('/v3', { onRequest: keystoneGate }, versions(200));
  registerHealthcheck(app, deps.core, keystone);
  if (deps.metrics) registerMetrics(app, deps.metrics, keystone);
  registerDashboard(app, deps.core.config, keystone, log);

  const projectIdPattern = new RegExp(`^(?:${deps.core.config.DEFAULT.project_id_regex})$`);
  await app.register(async (v3) => {
    // Params: the URL's project, on the routes under `/v3/:project_id` (none under `/v3`).
    v3.addHook<{ Params: { project_id?: string } }>('onRequest', async (req, reply) => {
      // NOTE: keystonemiddleware runs before Cinder's API, so a 401 carries no version headers.
      const keystoneCtx = keystone ? await keystone.authenticate(req, reply) : undefined;
      if (keystoneCtx === null) return reply;
      let version = MIN_API_VERSION;
      try {
        version = negotiateVersion(req.headers);
      } finally {
        reply.header(API_VERSION_HEADER, versionHeaderValue(version));
        reply.header('Vary', API_VERSION_HEADER);
      }
      const ctx = keystoneCtx ?? noauthContext(req.headers, req.id);
      if (!ctx) {
        const url = `${baseUrlOf(req)}${req.url}`;
        return reply.code(204).headers(noauthTokenHeaders(req.headers, url)).send();
      }
      const urlProject = req.params.project_id ?? null;
      req.kindling = { ctx, version, links: { baseUrl: baseUrlOf(req), urlProject } };
      if (urlProject !== null) {
        if (!projectIdPattern.test(urlProject)) throw new ItemNotFound();
        if (ctx.projectId !== urlProject) throw new BadRequest('Malformed request url');
      }
      // NOTE: Cinder's routes take no trailing slash (`GET /volumes/` is a 404, not the list).
      if (req.url.split('?')[0]!.endsWith('/')) throw new ItemNotFound();
      return undefined;
    });
    await v3.register(registerV3Routes(deps), { prefix: '/v3/:project_id' });
    await v3.register(registerV3Routes(deps), { prefix: '/v3' });
  });
  return app;
}

/**
 * The access line: `<client> "<METHOD> <url> HTTP/<v>" status: <code> len: <bytes> time: <s>`
 * (oslo.service's wsgi format), with the same facts as fields.
 */
function accessLog(log: Logger, req: FastifyRequest, reply: FastifyReply): void {
  const ms = Math.round(reply.elapsedTime * 1000) / 1000;
  const length = Number(reply.getHeader('content-length') ?? 0);
  const client = req.ip ?? '-';
  log.info(
    {
      request_id: req.id,
      method: req.method,
      path: req.url,
      status: reply.statusCode,
      ms,
      remote_address: client,
    },
    `${client} "${req.method} ${req.url} HTTP/${req.raw.httpVersion}" status: ${reply.statusCode} len: ${length} time: ${(ms / 1000).toFixed(7)}`,
  );
}

/** Counts the request by its route's pattern (`unmatched` when none matched), never its URL. */
function observeHttp(req: FastifyRequest, reply: FastifyReply): void {
  const route = (req.routeOptions as { url?: string } | undefined)?.url ?? UNMATCHED_ROUTE;
  observeHttpRequest(route, req.method, reply.statusCode, reply.elapsedTime / 1000);
}

function sendFault(log: Logger, req: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  let fault;
  const e = err as { statusCode?: number; code?: string; message?: string };
  if (err instanceof CinderError) fault = errorToFault(err);
  else if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') fault = faultBody(413, 'Request is too large.');
  else if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') fault = faultBody(415, 'Unsupported Content-Type');
  else if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500)
    fault = faultBody(e.statusCode, e.message ?? 'Bad request');
  else fault = errorToFault(err);
  if (fault.status >= 500) {
    const message = err instanceof Error ? err.message : String(err);
    const fields = { err, request_id: req.id, method: req.method, path: req.url };
    // NOTE: a 501/503 Kindling answers on purpose (not supported yet, unavailable) is a warning;
    // a 500 is an error: the client sees its text, the operator the error, its stack, the id.
    if (err instanceof CinderError && err.safe && fault.status !== 500)
      log.warn(fields, `${req.method} ${req.url}: ${fault.status} ${message}`);
    else log.error(fields, `Unhandled error in ${req.method} ${req.url}: ${message}`);
    if (process.env.KINDLING_DEBUG_ERRORS) console.error(err);
  }
  if (fault.headers) reply.headers(fault.headers);
  // NOTE: set again for errors raised before the onRequest hook ran (framework errors).
  reply.header('x-openstack-request-id', req.id);
  reply.header('x-compute-request-id', req.id);
  return reply.code(fault.status).type('application/json').send(fault.body);
}

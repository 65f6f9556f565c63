import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { CoreDeps } from '../common/deps.js';
import { BadRequest, CinderError, ItemNotFound, UnsupportedMediaType } from '../common/errors.js';
import type { VolumeAPI } from '../volume/api.js';
import type { SchedulerRPCAPI } from '../scheduler/rpcapi.js';
import { errorToFault, faultBody } from './fault.js';
import { negotiateVersion, versionHeaderValue, MIN_API_VERSION, API_VERSION_HEADER } from './microversion.js';
import { noauthContext, noauthTokenHeaders } from './auth/noauth.js';
import { keystoneAuthFor } from './auth/keystone-http.js';
import { configurePolicy } from '../auth/policy-config.js';
import { versionsDocument } from './versions.js';
import { registerV3Routes } from './v3/router.js';
import './request.js';

/** Everything the HTTP layer calls into. */
export interface ApiDeps {
  core: CoreDeps;
  volumes: VolumeAPI;
  schedulerRpc: SchedulerRPCAPI;
}

/** Cinder's `max_request_body_size` default (oslo sizelimit middleware). */
const BODY_LIMIT = 114688;

function baseUrlOf(req: FastifyRequest): string {
  const proto = (req.headers['x-forwarded-proto'] as string | undefined) ?? 'http';
  return `${proto}://${req.headers.host ?? '127.0.0.1'}`;
}

/**
 * Builds the API server: the version documents, the v3 routes (each both with and without a
 * project id in the URL), request ids, microversions, noauth, and Cinder's fault bodies.
 */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    logger: false,
    genReqId: () => `req-${randomUUID()}`,
    // NOTE: Cinder takes path parts of any length and answers with its own 400s; find-my-way's 100 would 414.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 4096 },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false } },
  });

  app.removeAllContentTypeParsers();
  // NOTE: Cinder parses any body as JSON; a body that is not JSON is `Malformed request body`.
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
    const ct = String(req.headers['content-type'] ?? 'application/json')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    if (ct && ct !== 'application/json' && !ct.endsWith('+json') && ct !== 'text/plain')
      return done(new UnsupportedMediaType(), undefined);
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new BadRequest('Malformed request body'), undefined);
    }
  });

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-openstack-request-id', req.id);
    reply.header('x-compute-request-id', req.id);
  });

  app.setErrorHandler((err, req, reply) => sendFault(req, reply, err));
  app.setNotFoundHandler((req, reply) => sendFault(req, reply, new ItemNotFound()));

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
  app.get('/healthcheck', async (_req, reply) => reply.type('text/plain').send('OK'));

  await app.register(async (v3) => {
    v3.addHook('onRequest', async (req, reply) => {
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
      const urlProject = (req.params as { project_id?: string }).project_id ?? null;
      req.kindling = { ctx, version, links: { baseUrl: baseUrlOf(req), urlProject } };
      if (urlProject !== null) {
        if (!new RegExp(`^(?:${deps.core.config.DEFAULT.project_id_regex})$`).test(urlProject))
          throw new ItemNotFound();
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

function sendFault(req: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  let fault;
  if (err instanceof CinderError) fault = errorToFault(err);
  else {
    const e = err as { statusCode?: number; code?: string; message?: string };
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') fault = faultBody(413, 'Request is too large.');
    else if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') fault = faultBody(415, 'Unsupported Content-Type');
    else if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500)
      fault = faultBody(e.statusCode, e.message ?? 'Bad request');
    else {
      req.log?.error?.({ err }, 'unhandled error');

      if (process.env.KINDLING_DEBUG_ERRORS) console.error(err);
      fault = errorToFault(err);
    }
  }
  if (fault.headers) reply.headers(fault.headers);
  return reply.code(fault.status).type('application/json').send(fault.body);
}

/**
 * Keystone mode at the HTTP edge: builds the authenticator from `[keystone_authtoken]` and answers
 * a request it refuses as keystonemiddleware does (its JSON error body, `WWW-Authenticate`).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { currentPolicyEnforcer } from '../../auth/policy-enforcer.js';
import { DEFAULT_RULES } from '../../auth/policy.js';
import { readSection } from '../../auth/config-section.js';
import type { RequestContext } from '../../common/context.js';
import { ConfigError } from '../../common/errors.js';
import type { Config } from '../../config/index.js';
import { KEYSTONE_AUTHTOKEN_OPTIONS } from '../../config/options.js';
import { identityRoot, KeystoneClient } from './keystone-client.js';
import { KeystoneAuthenticator } from './keystone.js';
import { ServiceToken } from './service-token.js';

/** keystonemiddleware's bodies, byte for byte (Python's json.dumps spacing). */
const BODIES = {
  401: '{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}',
  503: '{"error": {"code": 503, "title": "Service Unavailable", "message": "The Keystone service is temporarily unavailable."}}',
} as const;

export interface KeystoneHttpAuth {
  /** `Keystone uri="…"`, the `WWW-Authenticate` of every 401. */
  readonly wwwAuthenticate: string;
  /** The caller's context, or null once the request has been answered (401 or 503). */
  authenticate(req: FastifyRequest, reply: FastifyReply): Promise<RequestContext | null>;
}

/**
 * Keystone authentication when `auth_strategy = keystone`, else null (noauth). Nothing is asked of
 * Keystone before the first request.
 * @throws ConfigError when an option keystone mode needs is missing
 */
export function keystoneAuthFor(config: Config, log?: Logger): KeystoneHttpAuth | null {
  if (config.DEFAULT.auth_strategy !== 'keystone') return null;
  const o = readSection(config, 'keystone_authtoken', KEYSTONE_AUTHTOKEN_OPTIONS);
  const missing = (['auth_url', 'username', 'password', 'project_name'] as const).filter((k) => !o[k]);
  if (missing.length > 0)
    throw new ConfigError(
      `auth_strategy = keystone needs [keystone_authtoken] ${missing.join(', ')} (Kindling's own Keystone user)`,
    );
  const client = new KeystoneClient({
    authUrl: o.auth_url!,
    timeoutMs: o.http_connect_timeout * 1000,
    maxRetries: o.http_request_max_retries,
  });
  const authenticator = new KeystoneAuthenticator({
    client,
    serviceToken: new ServiceToken(client, {
      username: o.username!,
      password: o.password!,
      userDomainName: o.user_domain_name,
      projectName: o.project_name!,
      projectDomainName: o.project_domain_name,
    }),
    tokenCacheTime: o.token_cache_time,
    serviceTokenRoles: o.service_token_roles,
    serviceTokenRolesRequired: o.service_token_roles_required,
    includeServiceCatalog: o.include_service_catalog,
    isAdmin: (creds) => currentPolicyEnforcer(DEFAULT_RULES).isAdmin(creds),
    log: (level, msg) => log?.[level](msg),
  });
  const wwwAuthenticate = `Keystone uri="${o.www_authenticate_uri ?? identityRoot(o.auth_url!)}"`;
  return {
    wwwAuthenticate,
    async authenticate(req, reply) {
      const result = await authenticator.authenticate(req.headers, req.id);
      if (result.ok) return result.ctx;
      reply.code(result.status).type('application/json');
      // NOTE: what Real Cinder's 401 carries: x-openstack-request-id only.
      reply.removeHeader('x-compute-request-id');
      if (result.status === 401) reply.header('WWW-Authenticate', wwwAuthenticate);
      reply.send(BODIES[result.status]);
      return null;
    },
  };
}

import type { IncomingHttpHeaders } from 'node:http';
import type { RequestContext } from '../../common/context.js';

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Cinder's NoAuthMiddleware: the token `user:project` (or `user`, meaning user = project) names
 * the caller; every caller is admin. Returns null when there is no token — the middleware then
 * answers 204 with a token to use.
 */
export function noauthContext(headers: IncomingHttpHeaders, requestId: string): RequestContext | null {
  const token = header(headers, 'x-auth-token');
  if (!token) return null;
  const [user, project] = token.includes(':')
    ? [token.split(':')[0]!, token.split(':').slice(1).join(':')]
    : [token, token];
  const roles = (header(headers, 'x-roles') ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  if (!roles.includes('admin')) roles.push('admin');
  return {
    userId: user,
    projectId: project || header(headers, 'x-auth-project-id') || user,
    isAdmin: true,
    roles,
    requestId,
    authToken: token,
  };
}

/** Headers of the 204 answer to a token-less request (what the client should use next). */
export function noauthTokenHeaders(headers: IncomingHttpHeaders, url: string): Record<string, string> {
  const user = header(headers, 'x-auth-user') ?? 'admin';
  const project = header(headers, 'x-auth-project-id') ?? 'admin';
  return {
    'X-Auth-Token': `${user}:${project}`,
    'X-Server-Management-Url': url,
    'Content-Type': 'text/plain; charset=UTF-8',
  };
}

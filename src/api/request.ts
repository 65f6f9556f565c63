import type { FastifyRequest } from 'fastify';
import type { RequestContext } from '../common/context.js';
import type { APIVersion } from './microversion.js';
import type { LinkBase } from './common/links.js';

/** What the v3 pre-handlers establish for every request. */
export interface KindlingRequestState {
  ctx: RequestContext;
  version: APIVersion;
  links: LinkBase;
}

declare module 'fastify' {
  interface FastifyRequest {
    kindling: KindlingRequestState;
  }
}

/** The request's state (set by the v3 hooks before any controller runs). */
export function state(req: FastifyRequest): KindlingRequestState {
  return req.kindling;
}

/** Query string as a plain, mutable string map (repeated keys: last wins). */
export function queryOf(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((req.query ?? {}) as Record<string, unknown>)) {
    out[k] = Array.isArray(v) ? String(v[v.length - 1]) : String(v);
  }
  return out;
}

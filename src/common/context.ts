import { randomUUID } from 'node:crypto';

/**
 * Who is asking, on whose behalf: Cinder's `RequestContext`, reduced to what Kindling uses.
 * Travels with every call from the API through the flows and over RPC (as plain JSON).
 */
export interface RequestContext {
  readonly userId: string | null;
  readonly projectId: string | null;
  readonly isAdmin: boolean;
  readonly roles: readonly string[];
  /** `req-<uuid>`, echoed as `x-openstack-request-id`. */
  readonly requestId: string;
  readonly authToken?: string | null;
  /** Project of the resource being acted on, when it differs (admin acting for another project). */
  readonly readDeleted?: 'no' | 'yes' | 'only';
}

export function newRequestId(): string {
  return `req-${randomUUID()}`;
}

/** A context for the services' own work (periodic tasks, cleanup): admin, no project. */
export function adminContext(requestId = newRequestId()): RequestContext {
  return { userId: null, projectId: null, isAdmin: true, roles: ['admin'], requestId };
}

/** Elevated copy of a context (Cinder's `context.elevated()`). */
export function elevated(ctx: RequestContext): RequestContext {
  return ctx.isAdmin ? ctx : { ...ctx, isAdmin: true, roles: [...ctx.roles, 'admin'] };
}

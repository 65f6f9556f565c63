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
  // Keystone mode: what the validated token says (unset in noauth).
  readonly userName?: string | null;
  readonly projectName?: string | null;
  readonly userDomainId?: string | null;
  readonly userDomainName?: string | null;
  readonly projectDomainId?: string | null;
  readonly projectDomainName?: string | null;
  /** Domain of a domain-scoped token. */
  readonly domainId?: string | null;
  /** `all` for a system-scoped token. */
  readonly systemScope?: string | null;
  /** keystonemiddleware's `is_admin_project` (true unless Keystone names an admin project). */
  readonly isAdminProject?: boolean;
  /** The caller's service catalog, trimmed to the services Cinder keeps (identity, compute, …). */
  readonly serviceCatalog?: readonly CatalogEntry[];
  /** Who sent a valid `X-Service-Token` along (a service acting for the user). */
  readonly serviceUserId?: string | null;
  readonly serviceProjectId?: string | null;
  readonly serviceRoles?: readonly string[];
}

/** One service of a Keystone v3 catalog. */
export interface CatalogEntry {
  readonly type: string;
  readonly name?: string;
  readonly endpoints: readonly {
    readonly interface: string;
    readonly region?: string | null;
    readonly url: string;
  }[];
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

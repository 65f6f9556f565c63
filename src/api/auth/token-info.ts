/**
 * What a Keystone v3 token says (the body of `GET /v3/auth/tokens`), reduced to what Kindling uses.
 */
import type { CatalogEntry } from '../../common/context.js';

export interface TokenInfo {
  readonly userId: string;
  readonly userName: string | null;
  readonly userDomainId: string | null;
  readonly userDomainName: string | null;
  readonly projectId: string | null;
  readonly projectName: string | null;
  readonly projectDomainId: string | null;
  readonly projectDomainName: string | null;
  /** Domain of a domain-scoped token. */
  readonly domainId: string | null;
  /** `all` for a system-scoped token. */
  readonly systemScope: string | null;
  readonly roles: readonly string[];
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
  readonly isAdminProject: boolean;
  readonly catalog: readonly CatalogEntry[];
}

/** Services Cinder keeps in a request context's catalog (cinder/context.py). */
const CATALOG_TYPES = ['identity', 'compute', 'object-store', 'image', 'key-manager'];

type Json = Record<string, unknown>;
const obj = (v: unknown): Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Parses `{"token": {...}}`; null when it is not a usable token (no user, no expiry). */
export function parseTokenBody(body: unknown): TokenInfo | null {
  const token = obj(obj(body).token);
  const user = obj(token.user);
  const project = token.project === undefined ? null : obj(token.project);
  const expiresAt = Date.parse(str(token.expires_at) ?? '');
  const userId = str(user.id);
  if (userId === null || Number.isNaN(expiresAt)) return null;
  const roles = Array.isArray(token.roles)
    ? token.roles.map((r) => str(obj(r).name)).filter((r): r is string => r !== null)
    : [];
  return {
    userId,
    userName: str(user.name),
    userDomainId: str(obj(user.domain).id),
    userDomainName: str(obj(user.domain).name),
    projectId: project ? str(project.id) : null,
    projectName: project ? str(project.name) : null,
    projectDomainId: project ? str(obj(project.domain).id) : null,
    projectDomainName: project ? str(obj(project.domain).name) : null,
    domainId: token.domain === undefined ? null : str(obj(token.domain).id),
    systemScope: obj(token.system).all === true ? 'all' : null,
    roles,
    expiresAt,
    isAdminProject: typeof token.is_admin_project === 'boolean' ? token.is_admin_project : true,
    catalog: Array.isArray(token.catalog) ? token.catalog.flatMap(catalogEntry) : [],
  };
}

function catalogEntry(raw: unknown): CatalogEntry[] {
  const s = obj(raw);
  const type = str(s.type);
  if (type === null || !CATALOG_TYPES.includes(type)) return [];
  const endpoints = (Array.isArray(s.endpoints) ? s.endpoints : []).flatMap((e) => {
    const url = str(obj(e).url);
    const iface = str(obj(e).interface);
    return url && iface ? [{ interface: iface, region: str(obj(e).region_id), url }] : [];
  });
  const name = str(s.name);
  return [{ type, ...(name !== null ? { name } : {}), endpoints }];
}

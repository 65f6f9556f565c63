// The Block Storage API v3, as the dashboard calls it: relative to the page (a proxy's path
// prefix is kept), with the token and the newest microversion Kindling speaks.

const MICROVERSION = 'volume 3.70';
/** `osapi_max_limit`'s default: the largest page the API answers. */
const PAGE = 1000;

/** An answer other than 2xx: its status and the Cinder fault's message. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function faultMessage(res) {
  try {
    const body = await res.json();
    const fault = body && typeof body === 'object' ? Object.values(body)[0] : null;
    if (fault && typeof fault.message === 'string') return fault.message;
  } catch {
    // not JSON
  }
  return res.statusText || `HTTP ${res.status}`;
}

/** `GET /dashboard/session` with `token` (if any): `{ status, body }`. */
export async function fetchSession(token) {
  const headers = { Accept: 'application/json' };
  if (token) headers['X-Auth-Token'] = token;
  const res = await fetch(new URL('session', location.href), { headers, cache: 'no-store' });
  if (res.ok) return { status: res.status, body: await res.json() };
  return { status: res.status, message: await faultMessage(res) };
}

export class Api {
  /** `projectId`: the project of the URLs (`/v3/{project_id}/…`); null: `/v3/…`. */
  constructor(token, projectId) {
    this.token = token;
    this.base = new URL(projectId ? `../v3/${encodeURIComponent(projectId)}/` : '../v3/', location.href);
  }

  /** GET `path` (relative to `/v3/{project}/`) with query `params`; the parsed body. */
  async get(path, params = {}) {
    const url = new URL(path, this.base);
    for (const [k, v] of Object.entries(params)) {
      if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
    }
    const res = await fetch(url, {
      headers: {
        'X-Auth-Token': this.token,
        'OpenStack-API-Version': MICROVERSION,
        Accept: 'application/json',
      },
      cache: 'no-store',
    });
    if (!res.ok) throw new ApiError(res.status, await faultMessage(res));
    return res.json();
  }

  /** As {@link get}, but null for a 404 (or, with `alsoRefused`, a 403). */
  async find(path, params = {}, alsoRefused = false) {
    try {
      return await this.get(path, params);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || (alsoRefused && e.status === 403))) return null;
      throw e;
    }
  }

  /**
   * Every item of a `…/detail` list of every project, newest first, at most `cap` of them:
   * `{ items, truncated }`.
   */
  async listAll(path, key, cap, params = {}) {
    const items = [];
    let marker;
    for (;;) {
      const limit = Math.min(PAGE, cap - items.length);
      const body = await this.get(path, {
        all_tenants: 1,
        sort: 'created_at:desc',
        limit,
        marker,
        ...params,
      });
      const page = body[key] ?? [];
      items.push(...page);
      if (page.length < limit || !body[`${key}_links`]) return { items, truncated: false };
      if (items.length >= cap) return { items, truncated: true };
      marker = page[page.length - 1].id;
    }
  }
}

/** Requests to a distributed test cluster's API as the admin, and waits on what it reports. */
import type { Cluster } from '../support/cluster.js';

// 3.70 (cinderclient's): messages need 3.3 or later.
const ADMIN_HEADERS = {
  'x-auth-token': 'admin:admin',
  'content-type': 'application/json',
  'openstack-api-version': 'volume 3.70',
};

/** One API request as the admin; the body parsed as JSON (null when empty). */
export async function call(
  c: Cluster,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const r = await fetch(`${c.url}${path}`, {
    method,
    headers: ADMIN_HEADERS,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

/** Waits until the scheduler reports at least `n` pools; fails with the cluster's logs after `ms`. */
export async function waitPools(c: Cluster, n: number, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (((await call(c, 'GET', '/v3/admin/scheduler-stats/get_pools')).body.pools?.length ?? 0) < n) {
    if (Date.now() > end) throw new Error(`pools never reported:\n${c.logs().slice(-4000)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

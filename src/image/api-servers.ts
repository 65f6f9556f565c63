/**
 * Which Glance to talk to (Cinder's `get_api_servers`): `glance_api_servers`, or else the
 * caller's service catalog entry named by `glance_catalog_info`; in random order, so several
 * Glance servers share the load and a retry goes to the next one.
 */
import { ConfigError, GlanceConnectionFailed } from '../common/errors.js';
import type { RequestContext } from '../common/context.js';
import type { GlanceOptions } from './glance-options.js';

/**
 * A server as a base URL without a trailing slash: `host:port` becomes `http://host:port` (Cinder
 * defaults to http), a path is kept (`https://cloud/image`).
 */
export function normalizeServer(server: string): string {
  const s = server.trim();
  return (s.includes('//') ? s : `http://${s}`).replace(/\/+$/, '');
}

/** The catalog's endpoint of `glance_catalog_info` (`image:glance:publicURL`), or none. */
export function catalogServers(ctx: RequestContext, catalogInfo: string): string[] {
  const parts = catalogInfo.split(':');
  if (parts.length !== 3)
    throw new ConfigError(
      "Failed to parse the configuration option 'glance_catalog_info', must be in the form <service_type>:<service_name>:<endpoint_type>",
    );
  const [type, , endpointType] = parts as [string, string, string];
  // NOTE: Cinder matches the type only (the name is not compared), as here.
  const iface = endpointType.replace(/URL$/, '');
  const urls: string[] = [];
  for (const entry of ctx.serviceCatalog ?? []) {
    if (entry.type !== type) continue;
    const ep = entry.endpoints.find((e) => e.interface === iface);
    if (ep) urls.push(ep.url);
  }
  return urls;
}

/**
 * The servers to try for one call, shuffled (`random` for tests).
 * @throws GlanceConnectionFailed when there is none (no option and no catalog entry)
 */
export function apiServers(
  ctx: RequestContext,
  opts: Pick<GlanceOptions, 'apiServers' | 'catalogInfo'>,
  random: () => number = Math.random,
): string[] {
  const list = opts.apiServers.length ? [...opts.apiServers] : catalogServers(ctx, opts.catalogInfo);
  if (!list.length)
    throw new GlanceConnectionFailed(
      `no image service: glance_api_servers is unset and the service catalog has no '${opts.catalogInfo}' endpoint`,
    );
  const servers = list.map(normalizeServer);
  for (let i = servers.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [servers[i], servers[j]] = [servers[j]!, servers[i]!];
  }
  return servers;
}

import { ConfigError } from '../../common/errors.js';

/** One broker node of a `transport_url`. */
export interface BrokerHost {
  readonly hostname: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
}

/** A parsed `rabbit://` transport URL. */
export interface RabbitUrl {
  /** Every node, in the order written (the client tries them round-robin). */
  readonly hosts: readonly BrokerHost[];
  /** Virtual host; an empty path means `/`. */
  readonly vhost: string;
  /** Query parameters (`?ssl=1&heartbeat=30`). */
  readonly query: Readonly<Record<string, string>>;
}

const DEFAULT_PORT = 5672;

function decode(part: string, url: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ConfigError(`transport_url ${redact(url)}: bad percent-encoding`);
  }
}

/** The URL with passwords replaced by `***`, for error messages and logs. */
export function redact(url: string): string {
  return url.replace(/([/,][^:/@,]*:)[^@,/]*@/g, '$1***@');
}

function parseHost(netloc: string, url: string): Partial<BrokerHost> & { hostname: string; port: number } {
  const at = netloc.lastIndexOf('@');
  const creds = at >= 0 ? netloc.slice(0, at) : '';
  const hostPort = at >= 0 ? netloc.slice(at + 1) : netloc;
  const out: { hostname: string; port: number; username?: string; password?: string } = {
    hostname: 'localhost',
    port: DEFAULT_PORT,
  };
  if (at >= 0) {
    const colon = creds.indexOf(':');
    out.username = decode(colon >= 0 ? creds.slice(0, colon) : creds, url);
    if (colon >= 0) out.password = decode(creds.slice(colon + 1), url);
  }
  // NOTE: IPv6 literals come bracketed (`[::1]:5672`); the colon after `]` separates the port.
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(hostPort);
  if (!m) throw new ConfigError(`transport_url ${redact(url)}: bad host "${hostPort}"`);
  if (m[1]) out.hostname = m[1].replace(/^\[|\]$/g, '');
  if (m[2]) {
    const port = Number(m[2]);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new ConfigError(`transport_url ${redact(url)}: bad port ${m[2]}`);
    out.port = port;
  }
  return out;
}

/**
 * Parses `rabbit://user:pass@host:port[,user:pass@host2:port]/vhost[?k=v]`, as cinder.conf writes
 * `transport_url`. User and password are URL-decoded; missing ones default to `guest`; a host
 * without credentials takes the previous host's. The client library logs in to every node with
 * one set of credentials, so differing credentials per host are refused.
 */
export function parseTransportUrl(url: string): RabbitUrl {
  const m = /^rabbit:\/\/([^/?]*)(\/[^?]*)?(?:\?(.*))?$/.exec(url.trim());
  if (!m) throw new ConfigError(`transport_url ${redact(url)}: expected rabbit://user:pass@host:port/vhost`);
  const [, netlocs = '', path = '', qs = ''] = m;
  let username = 'guest';
  let password = 'guest';
  const hosts: BrokerHost[] = [];
  for (const [i, netloc] of netlocs.split(',').entries()) {
    const h = parseHost(netloc, url);
    if (i > 0 && h.username !== undefined && (h.username !== username || (h.password ?? '') !== password))
      throw new ConfigError(`transport_url ${redact(url)}: every host must use the same credentials`);
    if (h.username !== undefined) username = h.username;
    if (h.password !== undefined) password = h.password;
    hosts.push({ hostname: h.hostname, port: h.port, username, password });
  }
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(qs)) query[k] = v;
  return { hosts, vhost: decode(path.slice(1), url) || '/', query };
}

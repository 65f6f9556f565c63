/**
 * Cinder's iSCSI `provider_location` and `provider_auth` strings, the only export state kept in
 * the volume row: `<ip>:<port>[;<ip>:<port>…],<tid> <iqn> <lun>` (the format of an iSCSI
 * sendtargets discovery line, plus the LUN) and `CHAP <user> <secret>`.
 */
import { isIPv6 } from 'node:net';
import { InvalidVolume } from '../../common/errors.js';

/** A parsed provider_location. */
export interface IscsiLocation {
  /** `ip:port` of each portal, IPv6 addresses in brackets; the first is the main one. */
  readonly portals: readonly string[];
  /** The target id tgtd had when the export was made (null when the field is not a number). */
  readonly tid: number | null;
  readonly iqn: string;
  /** The LUN; 0 when the field is missing or not a number (as Cinder). */
  readonly lun: number;
}

/** CHAP credentials of an export. */
export interface ChapAuth {
  readonly method: string;
  readonly username: string;
  readonly password: string;
}

/** Cinder's `sanitize_host`: IPv6 addresses are enclosed in [] for iSCSI portals. */
export function sanitizeHost(host: string): string {
  return isIPv6(host) ? `[${host}]` : host;
}

/** Cinder's `_iscsi_location`. */
export function formatProviderLocation(
  ips: readonly string[],
  port: number,
  tid: number,
  iqn: string,
  lun: number,
): string {
  const portals = ips.map((ip) => `${sanitizeHost(ip)}:${port}`).join(';');
  return `${portals},${tid} ${iqn} ${lun}`;
}

/**
 * The parts of a provider_location, read as Cinder's `_get_iscsi_properties` does.
 * @throws InvalidVolume when it has no IQN.
 */
export function parseProviderLocation(location: string): IscsiLocation {
  const fields = location.split(' ');
  const [head = '', iqn] = fields;
  const comma = head.indexOf(',');
  const portals = (comma < 0 ? head : head.slice(0, comma)).split(';');
  if (!iqn || portals[0] === '') throw new InvalidVolume(`malformed iSCSI provider_location '${location}'`);
  const tidText = comma < 0 ? '' : head.slice(comma + 1).split(',')[0];
  const lunText = fields[2] ?? '';
  return {
    portals,
    tid: /^\d+$/.test(tidText ?? '') ? Number(tidText) : null,
    iqn,
    lun: /^[+-]?\d+$/.test(lunText.trim()) ? Number(lunText) : 0,
  };
}

/** Cinder's `_iscsi_authentication`. */
export function formatProviderAuth(username: string, password: string, method = 'CHAP'): string {
  return `${method} ${username} ${password}`;
}

/**
 * The credentials in a provider_auth, or null for none.
 * @throws InvalidVolume when it is not `<method> <user> <secret>`.
 */
export function parseProviderAuth(auth: string | null): ChapAuth | null {
  if (!auth) return null;
  const parts = auth.split(/\s+/).filter((p) => p !== '');
  const [method, username, password] = parts;
  if (parts.length !== 3 || !method || !username || !password)
    throw new InvalidVolume('malformed provider_auth (expected "CHAP <user> <secret>")');
  return { method, username, password };
}

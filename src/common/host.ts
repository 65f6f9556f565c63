/**
 * Host strings as Cinder writes them: `host@backend#pool` (Cinder's `volume_utils.extract_host`
 * and `append_host`). `host` is the service's host name, `host@backend` names one volume service
 * (and its RPC queue), `#pool` selects a pool inside that backend.
 */
import { InvalidVolume } from './errors.js';

/** Pool name used when a host string carries no `#pool` part (Cinder's `DEFAULT_POOL_NAME`). */
export const DEFAULT_POOL_NAME = '_pool0';

/** Which part of `host@backend#pool` to extract. */
export type HostLevel = 'host' | 'backend' | 'pool';

/**
 * Extract one level of a `host@backend#pool` string.
 *
 * - `'host'` → `host` (no backend, no pool)
 * - `'backend'` → `host@backend` (pool dropped; a bare `host` stays `host`)
 * - `'pool'` → `pool`, or `null` when there is none (`_pool0` when `defaultPoolName` is true)
 *
 * A missing host throws `InvalidVolume` (`volume is not assigned to a host`), as Cinder does.
 */
export function extractHost(
  host: string | null | undefined,
  level: HostLevel = 'backend',
  defaultPoolName = false,
): string | null {
  if (host === null || host === undefined) {
    throw new InvalidVolume('volume is not assigned to a host');
  }
  const hashParts = host.split('#');
  const beforePool = hashParts[0] ?? '';
  switch (level) {
    case 'host':
      return beforePool.split('@')[0] ?? '';
    case 'backend':
      return beforePool;
    case 'pool':
      // NOTE: Cinder only recognises exactly one '#'; 'a#b#c' has no pool.
      if (hashParts.length === 2) return hashParts[1] ?? null;
      return defaultPoolName ? DEFAULT_POOL_NAME : null;
  }
}

/**
 * Encode a pool into a host string: `appendHost('h@b', 'p')` → `'h@b#p'`.
 * An empty/missing host or pool returns the host unchanged.
 */
export function appendHost(host: string, pool: string | null | undefined): string;
export function appendHost(
  host: string | null | undefined,
  pool: string | null | undefined,
): string | null | undefined;
export function appendHost(
  host: string | null | undefined,
  pool: string | null | undefined,
): string | null | undefined {
  if (!host || !pool) return host;
  return `${host}#${pool}`;
}

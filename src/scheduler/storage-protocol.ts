/**
 * Storage protocol spellings. The scheduler replaces a reported protocol that has variants with
 * the full list of its variants (Cinder's `common/constants.py` `*_VARIANTS`), so an extra spec `storage_protocol=iscsi`
 * matches a backend reporting `iSCSI`. The first entry is the preferred spelling, which the
 * get_pools view shows.
 */

const VARIANT_GROUPS: readonly (readonly string[])[] = Object.freeze([
  Object.freeze(['iSCSI', 'iscsi']),
  Object.freeze(['FC', 'fibre_channel', 'fc']),
  Object.freeze(['NFS', 'nfs']),
  Object.freeze(['NVMe-oF', 'NVMeOF', 'nvmeof']),
]);

/**
 * All spellings of `protocol` when it has variants (a fresh list), else `protocol` unchanged
 * (including lists that were already expanded, and null/undefined).
 */
export function storageProtocolVariants(protocol: unknown): unknown {
  if (typeof protocol !== 'string') return protocol;
  const group = VARIANT_GROUPS.find((g) => g.includes(protocol));
  return group ? [...group] : protocol;
}

/**
 * The quota resources Cinder knows. Reservable ones are counted (usages + reservations); the absolute
 * one (`per_volume_gigabytes`) is only a limit check. Per-type keys exist for every volume type.
 */
export const RESERVABLE_RESOURCES = [
  'volumes',
  'snapshots',
  'gigabytes',
  'backups',
  'backup_gigabytes',
  'groups',
] as const;
export const ABSOLUTE_RESOURCES = ['per_volume_gigabytes'] as const;
export const PER_TYPE_PREFIXES = ['volumes', 'gigabytes', 'snapshots'] as const;

/** Config option that gives each resource's default limit (cinder.conf `quota_*`). */
export const DEFAULT_OPTION: Record<string, string> = {
  volumes: 'quota_volumes',
  snapshots: 'quota_snapshots',
  gigabytes: 'quota_gigabytes',
  backups: 'quota_backups',
  backup_gigabytes: 'quota_backup_gigabytes',
  groups: 'quota_groups',
  consistencygroups: 'quota_consistencygroups',
  per_volume_gigabytes: 'per_volume_size_limit',
};

/** Names of the per-type keys of a type: `volumes_<name>`, `gigabytes_<name>`, `snapshots_<name>`. */
export function perTypeKeys(typeName: string): string[] {
  return PER_TYPE_PREFIXES.map((p) => `${p}_${typeName}`);
}

/** Deltas of a volume create (or, negated, a delete): totals plus the type's own keys. */
export function volumeDeltas(size: number, typeName: string | null, sign = 1): Record<string, number> {
  const deltas: Record<string, number> = { volumes: sign, gigabytes: sign * size };
  if (typeName) {
    deltas[`volumes_${typeName}`] = sign;
    deltas[`gigabytes_${typeName}`] = sign * size;
  }
  return deltas;
}

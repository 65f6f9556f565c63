/**
 * Quota deltas of a snapshot (or, negated, of its deletion): `snapshots` and `gigabytes` plus the
 * volume type's own `snapshots_<type>` / `gigabytes_<type>` (Cinder's `add_volume_type_opts`).
 * NOTE: Cinder's `no_snapshot_gb_quota` (default false) is not offered: snapshots always count
 * their volume's size against `gigabytes`.
 */
export function snapshotDeltas(size: number, typeName: string | null, sign = 1): Record<string, number> {
  const deltas: Record<string, number> = { snapshots: sign, gigabytes: sign * size };
  if (typeName) {
    deltas[`snapshots_${typeName}`] = sign;
    deltas[`gigabytes_${typeName}`] = sign * size;
  }
  return deltas;
}

/** The parts of the `rbd`/`ceph` CLIs' JSON output (Ceph 16) the RBD driver reads. */

/** `rbd info --format json POOL/IMAGE[@SNAP]`. */
export interface RbdImageInfo {
  name: string;
  /** Bytes (of the snapshot, when one is named). */
  size: number;
  order: number;
  object_size: number;
  /** Only with the striping feature; otherwise the stripe unit is the object size. */
  stripe_unit?: number;
  features: string[];
  /** Only for clones. */
  parent?: { pool: string; image: string; snapshot: string; trash?: boolean };
  /** `"true"`/`"false"`, only for a snapshot. */
  protected?: string;
}

/** One entry of `rbd snap ls --format json`. */
export interface RbdSnapInfo {
  id: number;
  name: string;
  size: number;
  protected: string;
}

/** One entry of `rbd ls -l --format json` (images, and their snapshots with `snapshot`). */
export interface RbdListEntry {
  image: string;
  size: number;
  snapshot?: string;
}

/** `ceph df --format json`. */
export interface CephDf {
  stats: { total_bytes: number };
  pools: { name: string; stats: { stored?: number; bytes_used: number; max_avail: number } }[];
}

/** `ceph osd pool get-quota POOL --format json`. */
export interface CephPoolQuota {
  quota_max_bytes: number;
}

/** `ceph mon dump --format json`: `addr` is the legacy address, `127.0.0.1:6789/0`. */
export interface CephMonMap {
  mons: { name: string; addr: string }[];
}

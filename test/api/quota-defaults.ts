/** What a fresh Kindling's quota APIs show before anyone sets a limit (for the quota API tests). */

/** Config defaults (`quota_*`) and the `__DEFAULT__` type's keys. */
export const QUOTA_DEFAULTS = {
  volumes: 10,
  snapshots: 10,
  gigabytes: 1000,
  backups: 10,
  backup_gigabytes: 1000,
  groups: 10,
  per_volume_gigabytes: -1,
  volumes___DEFAULT__: -1,
  gigabytes___DEFAULT__: -1,
  snapshots___DEFAULT__: -1,
};

/**
 * Capacity math shared by the CapacityFilter and the CapacityWeigher (Cinder's `utils.py`
 * `calculate_capacity_factors`, `calculate_virtual_free_capacity`,
 * `calculate_max_over_subscription_ratio`), so the over-subscription formula lives in exactly one
 * place.
 */
import type { VolumeTypeLike } from './types.js';
import { pyFloat } from './python-values.js';

/** Starting over-subscription ratio for `auto` while nothing is provisioned yet. */
export const INITIAL_AUTO_MOSR = 20;

/** True for the two capacity words drivers may report instead of a number. */
export function isInfiniteOrUnknown(value: unknown): value is 'infinite' | 'unknown' {
  return value === 'infinite' || value === 'unknown';
}

/**
 * Python's `round(x, 2)`: nearest hundredth of the exact binary value, ties to even.
 * NOTE: toFixed rounds exact ties away from zero; Python rounds them to even (0.125 → 0.12).
 */
export function round2(x: number): number {
  if (!Number.isFinite(x)) return x;
  // NOTE: far from a tie (x * 100 not within a millionth of a half), toFixed and Python agree, and
  // the exact digits below are not needed; below 1e9 the product's error is far smaller than that.
  const scaled = Math.abs(x) * 100;
  if (scaled < 1e9 && Math.abs(scaled - Math.floor(scaled) - 0.5) > 1e-6) return Number(x.toFixed(2));
  const exact = Math.abs(x).toFixed(30);
  const tie = /\.\d\d50*$/.test(exact);
  if (!tie) return Number(x.toFixed(2));
  const lower = Math.trunc(Math.abs(x) * 100);
  const even = lower % 2 === 0 ? lower : lower + 1;
  return (Math.sign(x) * even) / 100;
}

/** The capacity factors Cinder logs and filters on (all GiB except ratios/percentages). */
export interface CapacityFactors {
  total_capacity: number;
  free_capacity: number;
  reserved_capacity: number;
  total_reserved_available_capacity: number;
  max_over_subscription_ratio: number | null;
  total_available_capacity: number;
  provisioned_capacity: number;
  calculated_free_capacity: number;
  virtual_free_capacity: number;
  free_percent: number;
  provisioned_ratio: number;
  provisioned_type: 'thin' | 'thick';
}

/** Inputs of the capacity math for one pool. */
export interface CapacityInputs {
  total: number;
  free: number;
  provisioned: number;
  thinSupport: boolean;
  maxOverSubscriptionRatio: number;
  reservedPercentage: number;
  /** The request is thin (type's `provisioning:type` is not `thick`). */
  thin: boolean;
}

/**
 * Capacity factors of a pool: `reserved = floor(total × reserved%)`, `avail = total - reserved`;
 * thin on a thin-capable pool → `total_avail = avail × mosr`, `virtual_free = total_avail -
 * provisioned`; otherwise `total_avail = avail`, `virtual_free = min(free, avail - provisioned)`.
 */
export function calculateCapacityFactors(input: CapacityInputs): CapacityFactors {
  const { total, free, provisioned, thinSupport, maxOverSubscriptionRatio, reservedPercentage } = input;
  const reservedCapacity = Math.floor((total * reservedPercentage) / 100);
  const totalReservedAvailable = total - reservedCapacity;
  const isThin = input.thin && thinSupport;
  const totalAvailable = isThin ? totalReservedAvailable * maxOverSubscriptionRatio : totalReservedAvailable;
  const calculatedFree = totalAvailable - provisioned;
  const virtualFree = isThin ? calculatedFree : Math.min(free, calculatedFree);
  const provisionedRatio = totalAvailable ? provisioned / totalAvailable : 0;
  const freePercent = totalAvailable ? (virtualFree / totalAvailable) * 100 : 0;
  return {
    total_capacity: total,
    free_capacity: free,
    reserved_capacity: reservedCapacity,
    total_reserved_available_capacity: round2(totalReservedAvailable),
    max_over_subscription_ratio: isThin ? maxOverSubscriptionRatio : null,
    total_available_capacity: round2(totalAvailable),
    provisioned_capacity: provisioned,
    calculated_free_capacity: round2(calculatedFree),
    virtual_free_capacity: round2(virtualFree),
    free_percent: round2(freePercent),
    provisioned_ratio: round2(provisionedRatio),
    provisioned_type: isThin ? 'thin' : 'thick',
  };
}

/** Virtual free capacity of a pool (see {@link calculateCapacityFactors}). */
export function calculateVirtualFreeCapacity(input: CapacityInputs): number {
  return calculateCapacityFactors(input).virtual_free_capacity;
}

/**
 * Effective max over-subscription ratio of a reported pool/backend capability dict.
 *
 * 1.0 without thin support or when total/free is infinite/unknown; else the capability's value
 * (falsy → the configured default); `auto` → `1 + provisioned / (total - free + 1)`, or 20 while
 * nothing is provisioned. `provisioned_capacity_gb` defaults to `allocated_capacity_gb`.
 * NOTE: an unparsable ratio gives 1.0 (no over-subscription) instead of failing every request;
 * Cinder's option regex keeps such values from being reported at all.
 */
export function calculateMaxOverSubscriptionRatio(
  capability: Readonly<Record<string, unknown>>,
  globalRatio: string | number,
): number {
  const allocated = (capability['allocated_capacity_gb'] as number | undefined) ?? 0;
  const provisioned = (capability['provisioned_capacity_gb'] as number | undefined) ?? allocated;
  const total = capability['total_capacity_gb'] ?? 0;
  const free = capability['free_capacity_gb'] ?? 0;
  if (!capability['thin_provisioning_support']) return 1.0;
  if (isInfiniteOrUnknown(total) || isInfiniteOrUnknown(free)) return 1.0;

  const raw = (capability['max_over_subscription_ratio'] as string | number | undefined) || globalRatio;
  if (raw === 'auto') {
    if (provisioned === 0) return INITIAL_AUTO_MOSR;
    const used = Number(total) - Number(free);
    return 1 + provisioned / (used + 1);
  }
  const ratio = pyFloat(raw);
  return ratio ?? 1.0;
}

/** Whether a request of this volume type is thin: its `provisioning:type` is not `thick`. */
export function isThinRequest(volumeType: VolumeTypeLike | null | undefined): boolean {
  return volumeType?.extra_specs?.['provisioning:type'] !== 'thick';
}

/**
 * Helpers for `GET /scheduler-stats/get_pools`: matching query filters against capabilities and
 * turning a pool's capability dict into JSON-safe wire form.
 */
import { formatTimestamp } from './timestamps.js';
import { boolFromString, pyFloat, pyStr } from './python-values.js';

/** One entry of get_pools: `host@backend#pool` and its capabilities. */
export interface PoolListing {
  name: string;
  capabilities: Record<string, unknown>;
}

/** Filters accepted by get_pools (query-string values) besides `name` and `volume_type`. */
export type CapabilityFilters = Record<string, unknown>;

/**
 * Cinder's `_equal_after_convert`: does query value `value` equal capability `capability`?
 * Same JS type → strict equality; boolean capability → `bool_from_string(value)`; otherwise both
 * sides as strings. A missing capability never equals a given value.
 *
 * NOTE: two deliberate relaxations, since JS cannot tell 100 from 100.0: numbers compare
 * numerically, and a list capability (e.g. the expanded `storage_protocol`) matches when any
 * element does (Python compares against `str(list)`, which never matches a query value).
 */
export function equalAfterConvert(capability: unknown, value: unknown): boolean {
  if (capability === null || capability === undefined) return value === capability;
  if (Array.isArray(capability)) return capability.some((c) => equalAfterConvert(c, value));
  if (typeof value === typeof capability && typeof value !== 'object') return value === capability;
  if (typeof capability === 'boolean') return capability === boolFromString(value);
  if (typeof capability === 'number') {
    const n = pyFloat(value);
    if (n !== null) return n === capability;
  }
  return pyStr(value) === pyStr(capability);
}

/** A capability dict as it travels over RPC: Dates become oslo time strings; the rest is copied. */
export function capabilitiesToWire(capabilities: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(capabilities)) {
    out[key] = value instanceof Date ? formatTimestamp(value) : structuredClone(value);
  }
  return out;
}

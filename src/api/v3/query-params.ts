/** Query-string helpers shared by the v3 controllers. */
import { BadRequest, InvalidParameterValue } from '../../common/errors.js';
import { boolFromString } from '../../common/strutils.js';

const BOOL_WORDS = new Set(['1', 't', 'true', 'on', 'y', 'yes', '0', 'f', 'false', 'off', 'n', 'no']);

/**
 * Cinder's `utils.get_bool_param`: the parameter as a strict boolean (absent → `defaultValue`);
 * anything else is 400 `Value '<v>' for '<name>' is not a boolean.`
 */
export function getBoolParam(
  name: string,
  query: Readonly<Record<string, string>>,
  defaultValue = false,
): boolean {
  const value = query[name];
  if (value === undefined) return defaultValue;
  if (!BOOL_WORDS.has(value.trim().toLowerCase()))
    throw new InvalidParameterValue(`Value '${value}' for '${name}' is not a boolean.`);
  return boolFromString(value, true);
}

/** Python's `key.encode('ascii')` succeeds: every character is below U+0080. */
export function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * Cinder's `reject_invalid_filters` (3.31+): every filter key must be ASCII, and, when `check`
 * (a non-admin caller, or a list that checks everyone), every key but `all_tenants` must be
 * `allowed` — else 400 naming the others.
 */
export function rejectInvalidFilters(
  filters: Readonly<Record<string, unknown>>,
  allowed: readonly string[] | ((key: string) => boolean),
  check: boolean,
): void {
  const keys = Object.keys(filters);
  if (keys.some((k) => !isAscii(k))) throw new BadRequest('Filter keys can only contain ASCII characters.');
  if (!check) return;
  const ok = typeof allowed === 'function' ? allowed : (k: string) => allowed.includes(k);
  const bad = keys.filter((k) => k !== 'all_tenants' && !ok(k));
  if (bad.length) throw new BadRequest(`Invalid filters ${bad.join(',')} are found in query options.`);
}

/** Query-string helpers shared by the v3 controllers. */
import { InvalidParameterValue } from '../../common/errors.js';
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

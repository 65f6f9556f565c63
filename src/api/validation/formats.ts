/**
 * Cinder's custom `format` checkers (`cinder/api/validation/validators.py`). A checker returns
 * whether the value conforms; it may also throw:
 * - {@link FormatCause}: Cinder registered the exception with the checker (`InvalidName`), so
 *   the validation error carries it and its text becomes the whole 400 detail;
 * - any `CinderError`: Cinder did not register it, so it escapes validation and is answered as
 *   that error (e.g. `Invalid input received: name has 256 characters, more than 255.`).
 */
import { BadRequest, InvalidInput } from '../../common/errors.js';
import { pythonRepr, pythonStr } from '../../common/strutils.js';
import { isUuidLike } from '../../common/uuid.js';
import { isDateTime } from './iso8601.js';
import { isObject, pyLen, pyStrip, pyTruthy } from './python-values.js';
import type { ValidationContext } from './types.js';

/** A cause raised by a checker whose text replaces the whole validation detail. */
export class FormatCause extends Error {}

/** A format checker: `true` when `value` conforms. */
export type FormatChecker = (value: unknown, context: ValidationContext) => boolean;

/** Cinder's `exception.InvalidName` text. */
function invalidName(reason: string): FormatCause {
  return new FormatCause(`An invalid 'name' value was provided. ${reason}`);
}

/** Python `value.strip()`, raising TypeError (Python: AttributeError) when the value is not a string. */
function strip(value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`'${typeof value}' object has no attribute 'strip'`);
  return pyStrip(value);
}

/** oslo `strutils.check_string_length` wrapped in Cinder's `utils.check_string_length`. */
function checkStringLength(value: string, name: string, minLength: number, maxLength: number): void {
  const length = pyLen(value);
  if (length < minLength) throw new InvalidInput(`${name} has ${length} characters, less than ${minLength}.`);
  if (maxLength && length > maxLength) {
    throw new InvalidInput(`${name} has ${length} characters, more than ${maxLength}.`);
  }
}

/** Cinder's `_validate_string_length`. */
function validateStringLength(
  value: unknown,
  entity: string,
  mandatory: boolean,
  minLength: number,
  maxLength: number,
): void {
  if (!mandatory && !pyTruthy(value)) return;
  if (mandatory && !pyTruthy(value)) throw new BadRequest(`The '${entity}' can not be None.`);
  checkStringLength(strip(value), entity, minLength, maxLength);
}

/** oslo `strutils.validate_integer` as Cinder's `api_utils.validate_integer` raises it (400). */
function validateInteger(value: unknown, name: string, min: number, max: number): void {
  const text = pythonStr(value);
  // NOTE: int(str(v)) accepts surrounding whitespace, a sign and `_` between digits.
  const stripped = pyStrip(text);
  if (!/^[+-]?[0-9](?:_?[0-9])*$/.test(stripped)) throw new BadRequest(`${name} must be an integer`);
  const n = BigInt(stripped.replaceAll('_', ''));
  if (n < BigInt(min)) throw new BadRequest(`${name} must be >= ${min}`);
  if (n > BigInt(max)) throw new BadRequest(`${name} must be <= ${max}`);
}

/** Cinder's `db.MAX_INT`. */
const DB_MAX_INT = 2147483647;
/** Cinder's `quota.NON_QUOTA_KEYS`. */
const NON_QUOTA_KEYS: ReadonlySet<string> = new Set(['tenant_id', 'id']);

const CHECKERS: Readonly<Record<string, FormatChecker>> = {
  'date-time': (value) => isDateTime(value),
  uuid: (value) => isUuidLike(value),
  name: (value) => {
    if (!pyTruthy(value)) throw invalidName("The 'name' can not be None.");
    if (pyLen(strip(value)) === 0) throw invalidName("The 'name' can not be empty.");
    return true;
  },
  name_skip_leading_trailing_spaces: (value) => {
    if (!pyTruthy(value)) throw invalidName("The 'name' can not be None.");
    const stripped = strip(value);
    if (pyLen(stripped) === 0) throw invalidName("The 'name' can not be empty.");
    if (pyLen(stripped) > 255) throw invalidName("The 'name' can not be greater than 255 characters.");
    return true;
  },
  name_non_mandatory_remove_white_spaces: (value) => {
    validateStringLength(value, 'name', false, 0, 255);
    return true;
  },
  description_non_mandatory_remove_white_spaces: (value) => {
    validateStringLength(value, 'description', false, 0, 255);
    return true;
  },
  availability_zone: (value) => {
    if (value !== null) validateStringLength(value, 'availability_zone', true, 1, 255);
    return true;
  },
  quota_set: (value, context) => {
    if (!isObject(value)) throw new TypeError(`${pythonRepr(value)} has no attribute 'items'`);
    const badKeys: string[] = [];
    for (const [key, v] of Object.entries(value)) {
      if (context.quotaKeys && !context.quotaKeys.has(key) && !NON_QUOTA_KEYS.has(key)) {
        badKeys.push(key);
        continue;
      }
      if (NON_QUOTA_KEYS.has(key)) continue;
      validateInteger(v, key, -1, DB_MAX_INT);
    }
    if (badKeys.length > 0) throw new InvalidInput(`Bad key(s) in quota set: ${badKeys.join(', ')}`);
    return true;
  },
};

/** The format names Kindling knows; a schema using another one is refused when compiled. */
export const KNOWN_FORMATS: ReadonlySet<string> = new Set(Object.keys(CHECKERS));

/**
 * Cinder's `FormatChecker.check`: undefined when `value` conforms (or the format is unknown),
 * else the error message `%r is not a %r`, with the registered cause when there was one. A value
 * of a type the checker cannot handle does not conform (Cinder crashes with a 500 there).
 */
export function checkFormat(
  value: unknown,
  format: string,
  context: ValidationContext,
): { message: string; cause?: string } | undefined {
  const checker = CHECKERS[format];
  if (!checker) return undefined;
  let result = false;
  let cause: string | undefined;
  try {
    result = checker(value, context);
  } catch (err) {
    // NOTE: a checker meeting a value of a type it does not handle (`1` for a name inside a
    // oneOf, whose branches python-jsonschema runs whole) raises TypeError, as Python's
    // `.strip()` raises AttributeError; Cinder answers a 500 there. Here the value simply does
    // not conform, so the schema's own error (a 400) is reported.
    if (err instanceof TypeError) result = false;
    else if (err instanceof FormatCause) cause = err.message;
    else throw err;
  }
  if (result) return undefined;
  const message = `${pythonRepr(value)} is not a ${pythonRepr(format)}`;
  return cause === undefined ? { message } : { message, cause };
}

/**
 * Python semantics the validator needs when it looks at JSON values: python-jsonschema's Draft 4
 * type checks, Python equality, truthiness, `str.strip()`, `len()`, code-point sorting and
 * Cinder's `_number_from_str` (what `int()`/`float()` make of a value).
 */

/** A JSON object as parsed from a body. */
export type JsonObject = Record<string, unknown>;

/** True for a plain JSON object (Python `dict`). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Draft 4 type names python-jsonschema knows. */
export const TYPE_NAMES: ReadonlySet<string> = new Set([
  'array',
  'boolean',
  'integer',
  'null',
  'number',
  'object',
  'string',
]);

/**
 * python-jsonschema's Draft 4 `is_type`. Booleans are neither integers nor numbers.
 * NOTE: JSON `1.0` reaches us as the number 1, so it counts as an integer here; Python would
 * see a float and reject it for `integer`.
 */
export function isPyType(value: unknown, type: string): boolean {
  switch (type) {
    case 'array':
      return Array.isArray(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return (typeof value === 'number' && Number.isInteger(value)) || typeof value === 'bigint';
    case 'null':
      return value === null;
    case 'number':
      return typeof value === 'number' || typeof value === 'bigint';
    case 'object':
      return isObject(value);
    case 'string':
      return typeof value === 'string';
    default:
      return false;
  }
}

/** Python truthiness of a JSON value. */
export function pyTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (typeof value === 'bigint') return value !== 0n;
  if (Array.isArray(value)) return value.length > 0;
  if (isObject(value)) return Object.keys(value).length > 0;
  return true;
}

function asNumeric(value: unknown): number | bigint | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  return undefined;
}

/** Python `==` (so `True == 1` and `[True] == [1]`), used by `enum`. */
export function pyLooseEqual(a: unknown, b: unknown): boolean {
  const na = asNumeric(a);
  const nb = asNumeric(b);
  if (na !== undefined || nb !== undefined) {
    // NOTE: `==` between a bigint and a number compares values, as Python does.
    return na !== undefined && nb !== undefined && na == nb;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((x, i) => pyLooseEqual(x, b[i]))
    );
  }
  if (isObject(a) || isObject(b)) return isObject(a) && isObject(b) && mappingEqual(a, b, pyLooseEqual);
  return a === b;
}

/** python-jsonschema's `_utils.equal`: like `==` but `True`/`False` never equal `1`/`0`. */
export function schemaEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => schemaEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) return mappingEqual(a, b, schemaEqual);
  if (typeof a === 'boolean' || typeof b === 'boolean') return a === b;
  return pyLooseEqual(a, b);
}

function mappingEqual(a: JsonObject, b: JsonObject, eq: (x: unknown, y: unknown) => boolean): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => Object.hasOwn(b, k) && eq(a[k], b[k]));
}

/** Characters Python's `str.strip()` removes (`str.isspace()`). */
const PY_SPACE =
  '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const STRIP_RE = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'g');

/** Python `str.strip()` with no argument. */
export function pyStrip(text: string): string {
  return text.replace(STRIP_RE, '');
}

/** Python `len(str)`: code points, not UTF-16 units. */
export function pyLen(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Python `sorted()` of strings (by code point). */
export function pySorted(items: Iterable<string>): string[] {
  return [...items].sort((a, b) => {
    const ca = [...a].map((c) => c.codePointAt(0) ?? 0);
    const cb = [...b].map((c) => c.codePointAt(0) ?? 0);
    for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
      if (ca[i] !== cb[i]) return (ca[i] ?? 0) - (cb[i] ?? 0);
    }
    return ca.length - cb.length;
  });
}

const ND = /\p{Nd}/u;

/** Replace every Unicode decimal digit by its ASCII digit, as Python's `int()`/`float()` accept them. */
function asciiDigits(text: string): string {
  let out = '';
  for (const ch of text) {
    if (ch >= '0' && ch <= '9') out += ch;
    else if (ND.test(ch)) out += String(digitValue(ch.codePointAt(0) ?? 0));
    else out += ch;
  }
  return out;
}

/** Nd characters come in runs of ten starting at zero, so the value is the offset in the run. */
function digitValue(cp: number): number {
  let start = cp;
  while (ND.test(String.fromCodePoint(start - 1))) start--;
  return (cp - start) % 10;
}

const INT_RE = /^[+-]?[0-9](?:_?[0-9])*$/;
const DIGITS = '[0-9](?:_?[0-9])*';
const FLOAT_RE = new RegExp(`^[+-]?(?:(?:${DIGITS})?\\.${DIGITS}|${DIGITS}\\.?)(?:[eE][+-]?${DIGITS})?$`);
const FLOAT_WORD_RE = /^[+-]?(?:inf|infinity|nan)$/i;

/** A number as Python's `int()` or `float()` made it. */
export interface PyNumber {
  /** The value; bigint for integers a double cannot hold exactly. */
  readonly value: number | bigint;
  /** True when it came from `float()` (Python prints it as `5.0`, not `5`). */
  readonly isFloat: boolean;
}

/**
 * Cinder's `_SchemaValidator._number_from_str`: `int(value)`, else `float(value)`, else nothing.
 * Booleans are 1/0 and non-integral numbers are truncated, as `int()` does.
 */
export function numberFromStr(value: unknown): PyNumber | undefined {
  if (typeof value === 'boolean') return { value: value ? 1 : 0, isFloat: false };
  if (typeof value === 'number')
    return Number.isFinite(value) ? { value: Math.trunc(value), isFloat: false } : undefined;
  if (typeof value === 'bigint') return { value, isFloat: false };
  if (typeof value !== 'string') return undefined;
  const text = asciiDigits(pyStrip(value));
  if (INT_RE.test(text)) {
    const big = BigInt(text.replaceAll('_', ''));
    const safe = big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER);
    return { value: safe ? Number(big) : big, isFloat: false };
  }
  if (FLOAT_RE.test(text)) return { value: Number(text.replaceAll('_', '')), isFloat: true };
  if (FLOAT_WORD_RE.test(text)) {
    const lower = text.toLowerCase();
    if (lower.endsWith('nan')) return { value: Number.NaN, isFloat: true };
    return { value: lower.startsWith('-') ? -Infinity : Infinity, isFloat: true };
  }
  return undefined;
}

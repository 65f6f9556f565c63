/**
 * String helpers with oslo `strutils` semantics, and Python `repr()`/`str()` for values that
 * Cinder quotes in its error messages (`Value: 'abc'`, `None`, `True`, `['a', 1]`).
 */
import { UnrecognizedBoolValue } from './errors.js';

const TRUE_STRINGS: readonly string[] = ['1', 't', 'true', 'on', 'y', 'yes'];
const FALSE_STRINGS: readonly string[] = ['0', 'f', 'false', 'off', 'n', 'no'];

/**
 * Interpret `subject` as a boolean like oslo `strutils.bool_from_string`: booleans pass through,
 * anything else is turned into its Python `str()`, trimmed and lower-cased, then matched against
 * `1 t true on y yes` / `0 f false off n no`. Anything else gives `defaultValue`, or with `strict`
 * throws {@link UnrecognizedBoolValue}.
 */
export function boolFromString(subject: unknown, strict = false, defaultValue = false): boolean {
  if (typeof subject === 'boolean') return subject;
  const text = pythonStr(subject);
  const lowered = text.trim().toLowerCase();
  if (TRUE_STRINGS.includes(lowered)) return true;
  if (FALSE_STRINGS.includes(lowered)) return false;
  if (strict) {
    const acceptable = [...TRUE_STRINGS, ...FALSE_STRINGS]
      .sort()
      .map((s) => `'${s}'`)
      .join(', ');
    throw new UnrecognizedBoolValue(`Unrecognized value '${text}', acceptable values are: ${acceptable}`);
  }
  return defaultValue;
}

/**
 * oslo `strutils.is_int_like`: `str(int(v)) == str(v)`. A string must be a canonical decimal
 * integer (`'10'`, `'-3'`; not `'010'`, `'+3'`, `' 3'`, `'1.0'`); a number must be an integer.
 * NOTE: JSON `2.0` arrives as the number 2, which Python would reject; JS cannot tell them apart.
 */
export function isIntLike(value: unknown): boolean {
  if (typeof value === 'string') return /^(0|-?[1-9][0-9]*)$/.test(value);
  if (typeof value === 'number') return Number.isInteger(value);
  return typeof value === 'bigint';
}

/**
 * How deep {@link pythonRepr} descends into arrays and objects before it writes `...` for the
 * rest (Python raises RecursionError somewhere near 1,000; a message needs far less).
 */
const MAX_REPR_DEPTH = 100;

/**
 * Python's `repr()` of a JSON-like value: `'abc'`, `None`, `True`, `1.5`, `['a', 1]`, `{'k': 'v'}`.
 * Containers nested deeper than {@link MAX_REPR_DEPTH} are shown as `[...]` / `{...}`.
 */
export function pythonRepr(value: unknown): string {
  return reprAt(value, 0);
}

function reprAt(value: unknown, depth: number): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return reprString(value);
  if (typeof value === 'number') return reprNumber(value);
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) {
    if (depth >= MAX_REPR_DEPTH) return '[...]';
    return `[${value.map((v) => reprAt(v, depth + 1)).join(', ')}]`;
  }
  if (typeof value === 'object') {
    if (depth >= MAX_REPR_DEPTH) return '{...}';
    const items = Object.entries(value).map(([k, v]) => `${reprString(k)}: ${reprAt(v, depth + 1)}`);
    return `{${items.join(', ')}}`;
  }
  // NOTE: only functions and symbols are left; neither occurs in JSON.
  return reprString(typeof value === 'symbol' ? value.toString() : '<function>');
}

/** Python's `str()`: strings as they are, everything else as {@link pythonRepr}. */
export function pythonStr(value: unknown): string {
  return typeof value === 'string' ? value : pythonRepr(value);
}

/** Python float/int repr. Integral numbers print without `.0` (JSON `1.0` is 1 in JS). */
function reprNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (Number.isInteger(n)) return BigInt(n).toString();
  // NOTE: both languages print the shortest round-trip digits; Python switches to exponent
  // notation below 1e-4 (JS only below 1e-6) and pads the exponent to two digits.
  const [mantissa = '', exp = '0'] = n.toExponential().split('e');
  const e = Number(exp);
  if (e < -4 || e >= 16) {
    const sign = e < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  return String(n);
}

/** Characters Python's `str.isprintable()` rejects (other than ASCII space). */
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

/** Python `repr(str)`: single quotes unless the text has `'` and no `"`, with Python's escapes. */
function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch !== ' ' && NON_PRINTABLE.test(ch)) out += escapeCodePoint(ch.codePointAt(0) ?? 0);
    else out += ch;
  }
  return out + quote;
}

function escapeCodePoint(cp: number): string {
  const hex = cp.toString(16);
  if (cp < 0x100) return `\\x${hex.padStart(2, '0')}`;
  if (cp < 0x10000) return `\\u${hex.padStart(4, '0')}`;
  return `\\U${hex.padStart(8, '0')}`;
}

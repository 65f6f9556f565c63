/**
 * Python value semantics the scheduler's matching rules depend on: `float(x)`, `str(bool)` and
 * oslo's `strutils.bool_from_string`. Extra specs are compared the way Cinder compares them, so
 * these must accept and reject what Python does.
 */

const DIGITS = String.raw`\d(?:_?\d)*`;
// NOTE: Python's float() accepts surrounding whitespace, underscores between digits, a leading
// sign, `1.`, `.5`, exponents, and inf/infinity/nan in any case; it rejects '' and '.'.
const PY_FLOAT_RE = new RegExp(
  String.raw`^[+-]?(?:(?:${DIGITS}(?:\.(?:${DIGITS})?)?|\.${DIGITS})(?:[eE][+-]?${DIGITS})?|inf|infinity|nan)$`,
  'i',
);

/**
 * Python's `float(value)`; `null` where Python raises (ValueError for bad strings, TypeError for
 * other types).
 */
export function pyFloat(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'string') return null;
  const s = value.trim();
  if (!PY_FLOAT_RE.test(s)) return null;
  const lower = s.toLowerCase().replace(/^[+-]/, '');
  const sign = s.startsWith('-') ? -1 : 1;
  if (lower === 'inf' || lower === 'infinity') return sign * Infinity;
  if (lower === 'nan') return NaN;
  return Number(s.replaceAll('_', ''));
}

/** Python's `str()` for the scalar values capabilities hold (booleans become `True`/`False`). */
export function pyStr(value: unknown): string {
  switch (typeof value) {
    case 'boolean':
      return value ? 'True' : 'False';
    case 'string':
      return value;
    case 'number':
    case 'bigint':
      return String(value);
    case 'undefined':
      return 'None';
    default:
      // NOTE: dicts and lists only need a stable text here, not Python's exact repr.
      return value === null ? 'None' : (JSON.stringify(value) ?? '');
  }
}

const TRUE_STRINGS = new Set(['1', 't', 'true', 'on', 'y', 'yes']);

/**
 * oslo `strutils.bool_from_string(subject)` (non-strict, default False): booleans pass through,
 * other values are stringified, trimmed and lower-cased, and only the true words give `true`.
 */
export function boolFromString(subject: unknown): boolean {
  if (typeof subject === 'boolean') return subject;
  return TRUE_STRINGS.has(pyStr(subject).trim().toLowerCase());
}

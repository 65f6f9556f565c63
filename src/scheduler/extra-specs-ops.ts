/**
 * Matching of a volume type extra spec against a reported capability (Cinder's
 * `scheduler/filters/extra_specs_ops.match`).
 *
 * The requirement string starts with an operator word (`<is> True`, `>= 10`, `s== abc`,
 * `<or> a <or> b`); anything else is compared by plain equality.
 */
import { boolFromString, pyFloat, pyStr } from './python-values.js';

type Op = (value: unknown, word: string) => boolean;

/** Numeric operator: both sides go through Python's float(); a bad number never matches. */
function numeric(cmp: (a: number, b: number) => boolean): Op {
  return (value, word) => {
    const a = pyFloat(value);
    const b = pyFloat(word);
    return a !== null && b !== null && cmp(a, b);
  };
}

/** String ordering operator: only defined between strings (Python raises otherwise). */
function ordered(cmp: (a: string, b: string) => boolean): Op {
  return (value, word) => typeof value === 'string' && cmp(value, word);
}

/** Python's `word in value`: substring of a string, element of a list, key of a dict. */
function contains(value: unknown, word: string): boolean {
  if (typeof value === 'string') return value.includes(word);
  if (Array.isArray(value)) return value.includes(word);
  if (value !== null && typeof value === 'object') return Object.hasOwn(value, word);
  return false;
}

const OPERATORS: Readonly<Record<string, Op>> = Object.freeze({
  // NOTE: '=' means "at least", not equality (Cinder's historical meaning).
  '=': numeric((a, b) => a >= b),
  '==': numeric((a, b) => a === b),
  '!=': numeric((a, b) => a !== b),
  '>=': numeric((a, b) => a >= b),
  '<=': numeric((a, b) => a <= b),
  '<in>': contains,
  '<is>': (value, word) => boolFromString(value) === boolFromString(word),
  's==': (value, word) => value === word,
  's!=': (value, word) => value !== word,
  's<': ordered((a, b) => a < b),
  's<=': ordered((a, b) => a <= b),
  's>': ordered((a, b) => a > b),
  's>=': ordered((a, b) => a >= b),
});

/** `<or> a <or> b <or> c`: the value must equal one of the words. */
function matchOr(value: unknown, words: string[]): boolean {
  for (let i = 0; i < words.length; i += 2) {
    if (words[i] === value) return true;
  }
  return false;
}

/**
 * Whether capability `value` satisfies extra spec requirement `req`.
 *
 * - `req` null: matches only a null value.
 * - no operator word: plain equality with the whole requirement; booleans compare as Python
 *   prints them (`True`/`False`).
 * - with an operator: a null/undefined value never matches; operands that Python could not
 *   convert (ValueError) do not match.
 */
export function matchExtraSpec(value: unknown, req: string | null): boolean {
  if (req === null) return value === null || value === undefined;
  // NOTE: Python's str.split() splits on runs of whitespace and drops leading/trailing blanks.
  const words = req.split(/\s+/).filter((w) => w !== '');
  const op = words.shift();
  const method = op !== undefined && Object.hasOwn(OPERATORS, op) ? OPERATORS[op] : undefined;

  if (op !== '<or>' && method === undefined) {
    // NOTE: Cinder compares `value == req` as is, so a boolean capability never equals 'True'
    // there; Kindling deliberately compares Python's str() of booleans, so `True` matches true.
    return (typeof value === 'boolean' ? pyStr(value) : value) === req;
  }
  if (value === null || value === undefined) return false;
  if (op === '<or>') return matchOr(value, words);
  const first = words[0];
  return first !== undefined && method !== undefined && method(value, first);
}

/**
 * Python `re` patterns run as JavaScript regular expressions. Schemas keep Python's pattern text
 * (error messages quote it), and both ajv and the error walker test values through
 * {@link pyRegExp}, so they agree with each other and with Cinder.
 */
const cache = new Map<string, RegExp>();

/** Escapes whose meaning differs between Python (Unicode-aware) and JS; refused, not guessed. */
const UNSUPPORTED_ESCAPES = new Set(['d', 'D', 'w', 'W', 's', 'S', 'b', 'B']);

/**
 * Translate a Python pattern (no flags) into JS source for a non-`u` RegExp:
 * - `$` matches at the end or before a final newline in Python, so it becomes `(?=\n?$)`;
 * - `.` does not match only `\n` in Python (JS also stops at `\r`, U+2028, U+2029);
 * - `\A` / `\Z` become `^` / `$`.
 * Escapes with Unicode-dependent meaning (`\d`, `\w`, `\s`, `\b` and their negations) and the
 * Python-only `{,n}` quantifier throw, so a schema cannot silently behave differently.
 */
export function translatePattern(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] ?? '';
    if (ch === '\\') {
      const next = pattern[i + 1] ?? '';
      if (UNSUPPORTED_ESCAPES.has(next)) throw new Error(`pattern ${pattern}: \\${next} is not supported`);
      if (!inClass && next === 'A') out += '^';
      else if (!inClass && next === 'Z') out += '$';
      else out += ch + next;
      i++;
    } else if (inClass) {
      if (ch === ']') inClass = false;
      out += ch;
    } else if (ch === '[') {
      inClass = true;
      out += ch;
      // NOTE: a `]` (or `^]`) right after `[` is a literal in Python; JS needs it escaped.
      if (pattern[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (pattern[i + 1] === ']') {
        out += '\\]';
        i++;
      }
    } else if (ch === '$') {
      out += '(?=\\n?$)';
    } else if (ch === '.') {
      out += '[^\\n]';
    } else if (ch === '{' && pattern[i + 1] === ',') {
      throw new Error(`pattern ${pattern}: the {,n} quantifier is not supported`);
    } else {
      out += ch;
    }
  }
  return out;
}

/** The JS RegExp for a Python pattern, compiled once. `test()` behaves like `re.search`. */
export function pyRegExp(pattern: string): RegExp {
  let rx = cache.get(pattern);
  if (!rx) {
    rx = new RegExp(translatePattern(pattern));
    cache.set(pattern, rx);
  }
  return rx;
}

/** `re.search(pattern, text) is not None`. */
export function pySearch(pattern: string, text: string): boolean {
  return pyRegExp(pattern).test(text);
}

/** The shape of ajv's `code.regExp` option. */
export interface RegExpEngine {
  (pattern: string, flags: string): RegExp;
  code: string;
}

/** ajv's `code.regExp` hook: every `pattern`/`patternProperties` goes through {@link pyRegExp}. */
export const pyRegExpEngine: RegExpEngine = Object.assign((pattern: string) => pyRegExp(pattern), {
  code: 'pyRegExp',
});

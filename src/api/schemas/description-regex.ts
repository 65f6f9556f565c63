/**
 * Cinder's `valid_description_regex` (`parameter_types.py`): `^[<printable>]*$`, where the class
 * lists every code point below U+FFFF that is printable (Unicode category not `C*`, and not `Z*`
 * unless `Zs`), as ranges, with boundary characters escaped like Python's `re.escape`. Built the
 * same way so the pattern text quoted in errors has Cinder's shape.
 * NOTE: categories come from Node's ICU tables, which are newer than the Python `unicodedata`
 * Cinder ran on, so code points assigned since then are also accepted.
 */

const OTHER = /\p{C}/u;
const SEPARATOR = /\p{Z}/u;
const SPACE_SEPARATOR = /\p{Zs}/u;

function isPrintable(ch: string): boolean {
  return !OTHER.test(ch) && (!SEPARATOR.test(ch) || SPACE_SEPARATOR.test(ch));
}

/** Python 3.7+ `re.escape` of one character. */
function reEscape(ch: string): string {
  return '()[]{}?*+-|^$\\.&~# \t\n\r\v\f'.includes(ch) ? `\\${ch}` : ch;
}

/** Cinder's `_build_regex_range()` with its defaults (whitespace allowed, nothing excluded). */
function buildRegexRange(): string {
  let regex = '';
  let inRange = false;
  let last = '';
  let lastAdded = '';
  let ch = '';
  for (let cp = 0; cp < 0xffff; cp++) {
    ch = String.fromCharCode(cp);
    if (isPrintable(ch)) {
      if (!inRange) {
        regex += reEscape(ch);
        lastAdded = ch;
      }
      inRange = true;
    } else {
      if (inRange && last !== lastAdded) regex += `-${reEscape(last)}`;
      inRange = false;
    }
    last = ch;
  }
  if (inRange) regex += `-${reEscape(ch)}`;
  return regex;
}

/** The description pattern, in Python `re` syntax (run through the validator's translator). */
export const VALID_DESCRIPTION_REGEX = `^[${buildRegexRange()}]*$`;

/**
 * An INI parser with oslo.config `iniparser` semantics, so a `cinder.conf`-shaped file means
 * the same here as in Cinder:
 * - comments only where a line starts with `#` or `;` (an inline `#` is part of the value);
 * - `key = value` or `key: value` (whichever separator comes first);
 * - indented lines continue the previous value, joined with `\n`; a blank line ends it;
 * - one pair of matching surrounding quotes is stripped from the first line of a value;
 * - repeated keys keep every value, in order (multi-valued options need them all).
 */
import { ConfigError } from '../common/errors.js';

/** Section name (as written) → key → every value given for it, in file order. */
export type IniSections = Map<string, Map<string, string[]>>;

/**
 * Parse INI text. `source` names the file in error messages.
 * @throws ConfigError for a malformed section header, an assignment outside any section, a line
 *   without `=`/`:`, an empty key or a continuation line with nothing to continue.
 */
export function parseIni(text: string, source = '<string>'): IniSections {
  const sections: IniSections = new Map();
  let section: Map<string, string[]> | undefined;
  let key: string | undefined;
  let value: string[] = [];
  let keyLine = 0;

  const fail = (lineno: number, reason: string): never => {
    throw new ConfigError(`${source}:${lineno}: ${reason}`);
  };
  const flush = (): void => {
    if (key === undefined) return;
    if (!section) fail(keyLine, 'Section must be started before assignment');
    const values = section?.get(key) ?? [];
    values.push(value.join('\n'));
    section?.set(key, values);
    key = undefined;
    value = [];
  };

  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  lines.forEach((raw, index) => {
    const lineno = index + 1;
    const line = raw.trimEnd();
    if (line === '') {
      flush(); // a blank line ends a multi-line value
      return;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (key === undefined) fail(lineno, `Unexpected continuation line: ${line}`);
      value.push(line.trimStart());
      return;
    }
    flush();
    if (line.startsWith('[')) {
      if (!line.endsWith(']')) fail(lineno, `Invalid section (must end with ]): ${line}`);
      if (line.length <= 2) fail(lineno, `Empty section name: ${line}`);
      const name = line.slice(1, -1);
      section = sections.get(name) ?? new Map<string, string[]>();
      sections.set(name, section);
    } else if (!line.startsWith('#') && !line.startsWith(';')) {
      [key, value] = splitKeyValue(line, () => fail(lineno, `No ':' or '=' found in assignment: ${line}`));
      if (key === '') fail(lineno, `Key cannot be empty: ${line}`);
      keyLine = lineno;
    }
  });
  flush();
  return sections;
}

/** `key = value` / `key: value`, the earlier separator wins; strip one pair of quotes. */
function splitKeyValue(line: string, onError: () => never): [string, string[]] {
  const colon = line.indexOf(':');
  const equal = line.indexOf('=');
  if (colon < 0 && equal < 0) onError();
  const at = colon < 0 || (equal >= 0 && equal < colon) ? equal : colon;
  let value = line.slice(at + 1).trim();
  if (value.length > 0 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) {
    value = value.slice(1, -1);
  }
  return [line.slice(0, at).trim(), [value]];
}

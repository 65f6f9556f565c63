/**
 * The `date-time` format as Cinder checks it: oslo `timeutils.parse_isotime`, i.e. the
 * `iso8601` 1.0 package's pattern plus Python `datetime` range checks.
 */

// NOTE: iso8601 1.0.2's ISO8601_REGEX with `re.match` (anchored at the start only); its final
// `$` also matches before a trailing newline, as Python's does.
const ISO8601 = new RegExp(
  '^(?<year>[0-9]{4})(' +
    '((-(?<monthdash>[0-9]{1,2}))|(?<month>[0-9]{2})(?!(?=\\n?$)))' +
    '(((-(?<daydash>[0-9]{1,2}))|(?<day>[0-9]{2}))' +
    '(((?<separator>[ T])(?<hour>[0-9]{2})(:?(?<minute>[0-9]{2}))?' +
    '(:?(?<second>[0-9]{1,2})([.,](?<fraction>[0-9]+))?)?' +
    '(?<timezone>Z|((?<tzsign>[-+])(?<tzhour>[0-9]{2}):?(?<tzminute>[0-9]{2})?))?)?)' +
    ')?)?(?=\\n?$)',
);

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** True when Cinder's `_validate_datetime_format` accepts `value`. */
export function isDateTime(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const m = ISO8601.exec(value);
  if (!m?.groups) return false;
  const g = m.groups;
  const num = (v: string | undefined, dflt: number): number => (v === undefined ? dflt : Number(v));
  const year = num(g.year, 0);
  const month = num(g.month ?? g.monthdash, 1);
  const day = num(g.day ?? g.daydash, 1);
  const hour = num(g.hour, 0);
  const minute = num(g.minute, 0);
  const second = num(g.second, 0);
  if (year < 1 || month < 1 || month > 12) return false;
  if (day < 1 || day > daysInMonth(year, month)) return false;
  if (hour > 23 || minute > 59 || second > 59) return false;
  if (g.tzsign !== undefined) {
    // NOTE: datetime.timezone needs an offset strictly inside ±24 h.
    const offset = num(g.tzhour, 0) * 60 + num(g.tzminute, 0);
    if (offset >= 24 * 60) return false;
  }
  return true;
}

/**
 * oslo `timeutils.parse_isotime` then `normalize_time`: `value` as a UTC time in Kindling's stored
 * form (`2022-09-01T10:00:00.000000`, naive UTC; a time without a zone is UTC), or null when
 * `parse_isotime` would fail.
 */
export function parseIsoTimeUtc(value: string): string | null {
  if (!isDateTime(value)) return null;
  const g = ISO8601.exec(value)!.groups!;
  const num = (v: string | undefined, dflt: number): number => (v === undefined ? dflt : Number(v));
  const micros = g.fraction === undefined ? 0 : Math.floor(Number(`0.${g.fraction}`) * 1e6);
  let offsetMinutes = 0;
  if (g.tzsign !== undefined)
    offsetMinutes = (g.tzsign === '-' ? -1 : 1) * (num(g.tzhour, 0) * 60 + num(g.tzminute, 0));
  const d = new Date(0);
  d.setUTCFullYear(num(g.year, 0), num(g.month ?? g.monthdash, 1) - 1, num(g.day ?? g.daydash, 1));
  d.setUTCHours(num(g.hour, 0), num(g.minute, 0) - offsetMinutes, num(g.second, 0), 0);
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T` +
    `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(micros, 6)}`
  );
}

/**
 * Timestamps are stored as fixed-width UTC strings (`2022-09-01T10:00:00.000000`), the form the API
 * shows: they sort correctly as text on every dialect and need no conversion on the way out.
 */
export function isoNow(date: Date = new Date()): string {
  return formatTimestamp(date);
}

/** The last instant formatted and its text: a busy process formats the same millisecond often. */
let lastMs = NaN;
let lastText = '';

export function formatTimestamp(date: Date): string {
  const ms = date.getTime();
  if (ms !== lastMs) {
    lastText = `${date.toISOString().slice(0, 23)}000`;
    lastMs = ms;
  }
  return lastText;
}

export function parseTimestamp(value: string): Date {
  return new Date(`${value.slice(0, 23)}Z`);
}

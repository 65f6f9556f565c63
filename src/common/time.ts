/**
 * Timestamps are stored as fixed-width UTC strings (`2022-09-01T10:00:00.000000`), the form the API
 * shows: they sort correctly as text on every dialect and need no conversion on the way out.
 */
export function isoNow(date: Date = new Date()): string {
  return formatTimestamp(date);
}

export function formatTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 23)}000`;
}

export function parseTimestamp(value: string): Date {
  return new Date(`${value.slice(0, 23)}Z`);
}

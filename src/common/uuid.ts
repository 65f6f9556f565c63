/**
 * UUID helpers with oslo `uuidutils` semantics: Cinder accepts ids without dashes, in upper case,
 * in braces or with a `urn:uuid:` prefix wherever it checks "is this a UUID".
 */
import { randomUUID } from 'node:crypto';

/** A new random (version 4) UUID in canonical lower-case form, like Python's `uuid.uuid4()`. */
export function newUuid(): string {
  return randomUUID();
}

/**
 * A new time-ordered UUID (version 7, RFC 9562): the Unix time in milliseconds in its first 48 bits,
 * random bits after. For internal rows inserted in bulk (reservations, flow traces): ids made one
 * after another sort together, so their index entries go to the same last page of the index instead
 * of each to a random page, and a commit writes one page for them, not one per row.
 */
export function newTimeOrderedUuid(nowMs: number = Date.now()): string {
  const random = randomUUID();
  const time = Math.trunc(nowMs).toString(16).padStart(12, '0');
  // NOTE: random is xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx: its variant and 74 random bits are kept,
  // the version nibble becomes 7 and the first 48 bits the time.
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15)}`;
}

/**
 * Normalise a candidate the way both Python's `uuid.UUID()` and oslo's `_format_uuid_string`
 * do: drop every `urn:` then every `uuid:`, strip braces at both ends, drop dashes, lower-case.
 */
function formatUuidString(value: string): string {
  return value
    .replaceAll('urn:', '')
    .replaceAll('uuid:', '')
    .replace(/^[{}]+|[{}]+$/g, '')
    .replaceAll('-', '')
    .toLowerCase();
}

/**
 * True when `value` is a string that parses as a UUID and whose normalised form equals the
 * canonical hex digits (oslo `uuidutils.is_uuid_like`). Non-strings are never UUID-like.
 *
 * @example isUuidLike('{12345678-1234-5678-1234-567812345678}') // true
 * @example isUuidLike('12345678123456781234567812345678') // true
 * @example isUuidLike('1234') // false
 */
export function isUuidLike(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  // NOTE: Python's int(x, 16) would also accept signs, `0x`, `_` and whitespace, but such input
  // then differs from str(UUID(x)); so exactly 32 hex digits is the same test.
  return /^[0-9a-f]{32}$/.test(formatUuidString(value));
}

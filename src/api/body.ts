/**
 * Request bodies: the bytes a client sent, turned into the JSON value a controller validates.
 * Cinder parses any body as JSON (`Malformed request body` when it is not); Kindling also refuses,
 * with a 400 before anything else runs, what would otherwise crash deeper down: JSON nested deeper
 * than {@link MAX_JSON_DEPTH} levels (Python's own recursion limit makes Cinder answer a 500 past
 * about 1,000).
 */
import { BadRequest } from '../common/errors.js';

/** The deepest nesting of arrays and objects a body may have (real bodies need fewer than 10). */
export const MAX_JSON_DEPTH = 100;

/**
 * Whether `text`, read as JSON, opens more than `max` arrays/objects inside each other. A linear
 * scan that skips strings, so it runs before (and whatever) `JSON.parse` would do.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > max) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return false;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A body's bytes as text. Strict: bytes that are not UTF-8 (overlong forms, surrogates, truncated
 * sequences) are refused rather than stored as U+FFFD. A byte order mark stays, so JSON.parse
 * refuses it as Python's json does.
 *
 * @throws BadRequest `Invalid UTF-8` (Cinder: `Malformed request body`).
 */
export function decodeBody(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new BadRequest('Invalid UTF-8');
  }
}

/**
 * The JSON value of a request body's text, or undefined for an empty body. As in Cinder, only a
 * body of no bytes is no body: a blank one (spaces, newlines) is not JSON.
 *
 * @throws BadRequest `Malformed request body` (Cinder's text) when it is not JSON, or nested
 *   deeper than {@link MAX_JSON_DEPTH} levels.
 */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0) return undefined;
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH))
    throw new BadRequest(`Malformed request body: JSON nested deeper than ${MAX_JSON_DEPTH} levels.`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BadRequest('Malformed request body');
  }
}

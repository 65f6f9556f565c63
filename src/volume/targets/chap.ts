/**
 * CHAP credentials generated per export, as Cinder's `volume_utils.generate_username` (20
 * characters) and `generate_password` (16): at least one character of each symbol group, the
 * rest from all of them, shuffled; no look-alike characters (0, 1, I, O, l).
 */
import { randomInt } from 'node:crypto';

const SYMBOL_GROUPS = ['23456789', 'ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz'] as const;

function shuffle(chars: string[]): string[] {
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  return chars;
}

/** A random password of `length` characters from the symbol groups (each group at least once). */
export function generatePassword(length = 16, groups: readonly string[] = SYMBOL_GROUPS): string {
  const pick = (s: string) => s[randomInt(s.length)] as string;
  const out = shuffle(groups.map(pick)).slice(0, length);
  const all = groups.join('');
  while (out.length < length) out.push(pick(all));
  return shuffle(out).join('');
}

/** A random CHAP user name (Cinder: 20 characters, same alphabet as the password). */
export function generateUsername(length = 20): string {
  return generatePassword(length);
}

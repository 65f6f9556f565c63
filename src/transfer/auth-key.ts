/**
 * Transfer auth keys as Cinder makes them (`transfer/api.py`): a random hex salt and key, and only
 * `HMAC-SHA1(key = salt, message = auth key)` stored, so the key is shown once and never again.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Cinder's `volume_transfer_salt_length` default. */
export const SALT_LENGTH = 8;
/** Cinder's `volume_transfer_key_length` default. */
export const KEY_LENGTH = 16;

/**
 * A random string of hex digits (SHA-224 of random bytes, as Cinder does, so a receiver can type
 * it on any keyboard).
 */
export function randomHexString(length: number): string {
  let out = '';
  while (out.length < length) out += createHash('sha224').update(randomBytes(255)).digest('hex');
  return out.slice(0, length);
}

/** The stored hash of an auth key: hex HMAC-SHA1 keyed by the salt. */
export function cryptHash(salt: string, authKey: string): string {
  return createHmac('sha1', Buffer.from(salt, 'utf8')).update(Buffer.from(authKey, 'utf8')).digest('hex');
}

/** Whether `authKey` is the key whose hash is `expected` (compared in constant time). */
export function authKeyMatches(salt: string, authKey: string, expected: string): boolean {
  const got = Buffer.from(cryptHash(salt, authKey), 'utf8');
  const want = Buffer.from(expected, 'utf8');
  return got.length === want.length && timingSafeEqual(got, want);
}

/** A new salt, auth key and the hash to store. */
export function newAuthKey(): { salt: string; authKey: string; cryptHash: string } {
  const salt = randomHexString(SALT_LENGTH);
  const authKey = randomHexString(KEY_LENGTH);
  return { salt, authKey, cryptHash: cryptHash(salt, authKey) };
}

/** Volume type set-up for API tests (both test modes). */
import assert from 'node:assert/strict';
import type { TestKindling } from './types.js';

/** Creates a volume type as the admin (`volumeType`: its name, or the whole `volume_type` body); returns its view. */
export async function createType(
  k: TestKindling,
  volumeType: string | Record<string, unknown>,
): Promise<any> {
  const body = typeof volumeType === 'string' ? { name: volumeType } : volumeType;
  const r = await k.req('POST', '/v3/types', { volume_type: body });
  assert.equal(r.status, 200, r.text);
  return r.body.volume_type;
}

/** Helpers of the volume-action API tests (`volume-actions-*.test.ts`). */
import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import {
  mv,
  waitFor,
  waitForVolumeStatus,
  type TestKindling,
  type TestResponse,
} from '../support/kindling.js';

/** Two file backends, `alpha` and `beta`, each with its own directory under the state dir. */
export const TWO_BACKENDS = {
  KINDLING__DEFAULT__enabled_backends: 'alpha,beta',
  KINDLING__alpha__volume_driver: 'file',
  KINDLING__beta__volume_driver: 'file',
};

/** `POST /v3/admin/volumes/{id}/action` with `body`, at microversion `version` (default 3.0). */
export function act(k: TestKindling, id: string, body: unknown, version?: string): Promise<TestResponse> {
  return k.req('POST', `/v3/admin/volumes/${id}/action`, body, version ? mv(version) : {});
}

/** Creates a volume (`extra` merged into the body) and waits until it is available; its view. */
export async function availableVolume(k: TestKindling, extra: Record<string, unknown> = {}): Promise<any> {
  const r = await k.req('POST', '/v3/admin/volumes', { volume: { size: 1, ...extra } });
  assert.equal(r.status, 202, r.text);
  return waitForVolumeStatus(k, r.body.volume.id, ['available']);
}

/** A volume type with `extra_specs`; returns its id. */
export async function volumeType(
  k: TestKindling,
  name: string,
  extraSpecs: Record<string, string> = {},
): Promise<string> {
  const r = await k.req('POST', '/v3/admin/types', { volume_type: { name, extra_specs: extraSpecs } });
  assert.equal(r.status, 200, r.text);
  return r.body.volume_type.id;
}

/** The admin project's quota usage (`usage=true`), by resource. */
export async function usage(k: TestKindling): Promise<Record<string, any>> {
  const r = await k.req('GET', '/v3/admin/os-quota-sets/admin?usage=true');
  assert.equal(r.status, 200, r.text);
  return r.body.quota_set;
}

/** The volume's backing file, as its backend recorded it. */
export async function volumeFile(k: TestKindling, id: string): Promise<string> {
  const row = await k.db
    .selectFrom('volumes')
    .select('provider_location')
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  assert.ok(row.provider_location, `volume ${id} has no location`);
  return row.provider_location;
}

/** A volume's row (for what the API does not show: previous_status, admin metadata…). */
export function volumeRow(k: TestKindling, id: string) {
  return k.db.selectFrom('volumes').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** Waits for the volume's user messages to number `count`; returns their event ids. */
export async function messageEvents(k: TestKindling, id: string, count = 1): Promise<string[]> {
  const r = await waitFor(async () => {
    const r = await k.req('GET', `/v3/admin/messages?resource_uuid=${id}`, undefined, mv('3.3'));
    return r.body?.messages?.length >= count && r;
  });
  return r.body.messages.map((m: { event_id: string }) => m.event_id);
}

/** `{"badRequest": {"code": 400, "message": …}}` and the like (quota's 413 with `retryAfter`). */
export function fault(code: number, message: string): Record<string, Record<string, unknown>> {
  const name = {
    400: 'badRequest',
    403: 'forbidden',
    404: 'itemNotFound',
    409: 'conflictingRequest',
    413: 'overLimit',
    501: 'notImplemented',
  }[code];
  return { [name ?? 'computeFault']: code === 413 ? { code, message, retryAfter: '0' } : { code, message } };
}

/** Writes `text` at `offset` of a volume file, as a guest writing to its disk would. */
export async function writeAt(path: string, offset: number, text: string): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.write(Buffer.from(text), 0, Buffer.byteLength(text), offset);
  } finally {
    await fh.close();
  }
}

/** `length` bytes at `offset` of a file, as text. */
export async function readAt(path: string, offset: number, length: number): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    await fh.read(buf, 0, length, offset);
    return buf.toString();
  } finally {
    await fh.close();
  }
}

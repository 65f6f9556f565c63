/** Helpers for tests that make volumes and snapshots through the API (both test modes). */
import assert from 'node:assert/strict';
import { waitFor, waitForVolumeStatus, type TestKindling } from './kindling.js';

/** Creates a volume (`extra` merged into the body) and waits until it is `available`. */
export async function availableVolume(
  k: TestKindling,
  extra: Record<string, unknown> = {},
  project = 'admin',
): Promise<any> {
  const r = await k.req('POST', `/v3/${project}/volumes`, { volume: { size: 1, ...extra } }, token(project));
  assert.equal(r.status, 202, r.text);
  return waitForVolumeStatus(k, r.body.volume.id, ['available']);
}

/** Polls a snapshot until its status is one of `statuses` (or, with `'deleted'`, it is gone). */
export async function waitForSnapshotStatus(
  k: TestKindling,
  id: string,
  statuses: readonly string[],
  timeoutMs?: number,
): Promise<any> {
  let last: unknown;
  try {
    return await waitFor(async () => {
      const r = await k.req('GET', `/v3/admin/snapshots/${id}`);
      if (r.status === 404) {
        last = 'deleted';
        return statuses.includes('deleted') ? { id, status: 'deleted' } : null;
      }
      last = r.body?.snapshot?.status;
      return statuses.includes(r.body?.snapshot?.status) ? r.body.snapshot : null;
    }, timeoutMs);
  } catch {
    throw new Error(`snapshot ${id} is ${String(last)}, not ${statuses.join('|')}`);
  }
}

/** Creates a snapshot of `volumeId` and waits until it is `available`. */
export async function availableSnapshot(
  k: TestKindling,
  volumeId: string,
  extra: Record<string, unknown> = {},
  project = 'admin',
): Promise<any> {
  const r = await k.req(
    'POST',
    `/v3/${project}/snapshots`,
    { snapshot: { volume_id: volumeId, ...extra } },
    token(project),
  );
  assert.equal(r.status, 202, r.text);
  return waitForSnapshotStatus(k, r.body.snapshot.id, ['available']);
}

/** The noauth token of `project`'s user (same name). */
export function token(project: string): Record<string, string> {
  return { 'x-auth-token': `${project}:${project}` };
}

/** Live quota usage rows of a project: `{resource: {in_use, reserved}}`. */
export async function quotaUsage(
  k: TestKindling,
  project: string,
): Promise<Record<string, { in_use: number; reserved: number }>> {
  const rows = await k.db
    .selectFrom('quota_usages')
    .select(['resource', 'in_use', 'reserved'])
    .where('project_id', '=', project)
    .where('deleted', '=', 0)
    .execute();
  return Object.fromEntries(
    rows.map((r) => [r.resource, { in_use: Number(r.in_use), reserved: Number(r.reserved) }]),
  );
}

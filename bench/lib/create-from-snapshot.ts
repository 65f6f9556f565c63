/**
 * The shared part of the create-from-snapshot benchmarks (bench/create-from-snapshot*.ts): admin
 * requests to an embedded Kindling by `inject`, status polling, and the timed create loop.
 */
import type { Embedded } from '../../src/service/embedded.js';

/** The command-line options both benchmarks take (for `parseArgs`). */
export const SIZE_OPTIONS = {
  'size-gb': { type: 'string', default: '10' },
  'written-gb': { type: 'string', default: '1' },
  runs: { type: 'string', default: '3' },
} as const;

/** The numbers of {@link SIZE_OPTIONS}: volume size and data written (GiB), timed runs. */
export function sizes(values: { 'size-gb': string; 'written-gb': string; runs: string }) {
  return {
    SIZE: Number(values['size-gb']),
    WRITTEN: Number(values['written-gb']),
    RUNS: Number(values.runs),
  };
}

/** Sends one admin request to `k` in-process; the body parsed as JSON (null when empty). */
export async function req(k: Embedded, method: string, url: string, body?: unknown) {
  const r = await k.app.inject({
    method: method as 'GET',
    url,
    headers: { 'x-auth-token': 'admin:admin', 'content-type': 'application/json' },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : null };
}

/** Polls a volume or snapshot until it has `status`; throws when it goes to `error`. */
export async function waitFor(
  k: Embedded,
  kind: 'volumes' | 'snapshots',
  id: string,
  status: string,
): Promise<void> {
  for (;;) {
    const r = await req(k, 'GET', `/v3/admin/${kind}/${id}`);
    const s = r.body?.[kind === 'volumes' ? 'volume' : 'snapshot']?.status;
    if (s === status) return;
    if (s === 'error') throw new Error(`${kind} ${id} went to error`);
    await new Promise((res) => setTimeout(res, 5));
  }
}

/** Waits until the scheduler lists `count` pools (the volume services have reported). */
export async function waitForPools(k: Embedded, count: number): Promise<void> {
  for (;;) {
    const pools = (await req(k, 'GET', '/v3/admin/scheduler-stats/get_pools?detail=true')).body.pools;
    if (pools?.length >= count) return;
    await new Promise((res) => setTimeout(res, 20));
  }
}

/** Snapshots volume `volumeId` and waits until the snapshot is available; returns its id. */
export async function snapshotOf(k: Embedded, volumeId: string): Promise<string> {
  const snap = (await req(k, 'POST', '/v3/admin/snapshots', { snapshot: { volume_id: volumeId } })).body
    .snapshot.id as string;
  await waitFor(k, 'snapshots', snap, 'available');
  return snap;
}

/**
 * Times `POST /volumes {snapshot_id}` → `available`, `runs` times (each new volume is deleted
 * before the next run); returns the times in ms.
 */
export async function timeCreateFromSnapshot(
  k: Embedded,
  snapshotId: string,
  runs: number,
): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = await req(k, 'POST', '/v3/admin/volumes', { volume: { snapshot_id: snapshotId } });
    await waitFor(k, 'volumes', r.body.volume.id, 'available');
    ms.push(performance.now() - t0);
    await req(k, 'DELETE', `/v3/admin/volumes/${r.body.volume.id}`);
  }
  return ms;
}

/** The median of `xs` (the upper one of an even count). */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

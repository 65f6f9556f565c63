/** Deleting what a benchmark created, and waiting until it is really gone. */
import type { KindlingClient } from './kindling-client.js';

/**
 * Deletes every volume in `ids` (`parallel` DELETEs at a time), then polls the project's volumes
 * in `deleting` and in `error_deleting` (two short lists, whatever else the project holds) until
 * none of them is left deleting, then makes sure each is gone (`verify`, one GET each). Returns
 * ids that failed to delete (`error_deleting`, DELETE refused, still there) or were still
 * deleting after `timeoutMs`.
 */
export async function deleteAndWait(
  client: KindlingClient,
  ids: readonly string[],
  parallel = 8,
  timeoutMs = 120_000,
  verify = true,
): Promise<string[]> {
  let failed = new Set<string>();
  await eachInParallel(ids, parallel, async (id) => {
    try {
      await client.deleteVolume(id);
    } catch {
      failed.add(id);
    }
  });

  const waiting = new Set(ids.filter((id) => !failed.has(id)));
  const deadline = Date.now() + timeoutMs;
  while (waiting.size > 0) {
    // NOTE: a 202 to DELETE means the volume was `deleting` already: once in neither list, it is gone.
    const deleting = new Set((await client.listDetail('status=deleting&limit=1000')).map((v) => v.id));
    const errored = new Set((await client.listDetail('status=error_deleting&limit=1000')).map((v) => v.id));
    for (const id of [...waiting]) {
      if (errored.has(id)) {
        waiting.delete(id);
        failed.add(id);
      } else if (!deleting.has(id)) waiting.delete(id);
    }
    if (waiting.size === 0) break;
    if (Date.now() > deadline) {
      for (const id of waiting) failed.add(id);
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (verify) failed = new Set([...failed, ...(await stillThere(client, ids, parallel))]);
  return [...failed];
}

/**
 * Which of `ids` a GET still finds (`parallel` at a time): a volume the backend refused to delete
 * goes back to `available` (Cinder's `VolumeIsBusy`) and leaves neither list.
 */
export async function stillThere(
  client: KindlingClient,
  ids: readonly string[],
  parallel = 8,
): Promise<string[]> {
  const there: string[] = [];
  await eachInParallel(ids, parallel, async (id) => {
    if ((await client.getVolume(id)) !== undefined) there.push(id);
  });
  return there;
}

/** Runs `fn` on every id, `parallel` at a time, each worker taking the next id when done. */
async function eachInParallel(
  ids: readonly string[],
  parallel: number,
  fn: (id: string) => Promise<void>,
): Promise<void> {
  const queue = [...ids];
  const worker = async (): Promise<void> => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) await fn(id);
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

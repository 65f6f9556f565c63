/** Deleting what a benchmark created, and waiting until it is really gone. */
import type { KindlingClient } from './kindling-client.js';

/**
 * Deletes every volume in `ids` (`parallel` DELETEs at a time), then polls the project's volume
 * list until none of them is left. Returns ids that failed to delete (`error_deleting`, DELETE
 * refused) or were still present after `timeoutMs`.
 */
export async function deleteAndWait(
  client: KindlingClient,
  ids: readonly string[],
  parallel = 8,
  timeoutMs = 120_000,
): Promise<string[]> {
  const failed = new Set<string>();
  const queue = [...ids];
  const worker = async (): Promise<void> => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      try {
        await client.deleteVolume(id);
      } catch {
        failed.add(id);
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));

  const waiting = new Set(ids.filter((id) => !failed.has(id)));
  const deadline = Date.now() + timeoutMs;
  while (waiting.size > 0) {
    const listed = await client.listDetail('limit=1000');
    const present = new Map(listed.map((v) => [v.id, v.status]));
    for (const id of [...waiting]) {
      const status = present.get(id);
      if (status === undefined) waiting.delete(id);
      else if (status === 'error_deleting') {
        waiting.delete(id);
        failed.add(id);
      }
    }
    if (waiting.size === 0) break;
    if (Date.now() > deadline) {
      for (const id of waiting) failed.add(id);
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return [...failed];
}

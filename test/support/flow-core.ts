/**
 * For unit tests of the create-volume flows (api, scheduler, manager): a real core (SQLite in a
 * temporary state dir, in-process bus, notifications kept in memory), a task that fails on
 * purpose to make the tasks before it revert, and quota/volume readers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { CoreDeps } from '../../src/common/deps.js';
import { loadConfig } from '../../src/config/index.js';
import { Task, type TaskInputs } from '../../src/flow/index.js';
import { MemorySink } from '../../src/notify/notifier.js';
import { createCore } from '../../src/service/core.js';

export interface FlowCore {
  deps: CoreDeps;
  notifications: MemorySink;
}

/** A core on fresh state, closed and removed after the test. */
export async function flowCore(
  t: { after(fn: () => Promise<void>): void },
  env: Record<string, string> = {},
): Promise<FlowCore> {
  const stateDir = await mkdtemp(join(tmpdir(), 'kindling-flow-'));
  const notifications = new MemorySink();
  const deps = await createCore(loadConfig({ env: { KINDLING_STATE_DIR: stateDir, ...env } }), {
    log: pino({ level: process.env.KINDLING_TEST_LOG ?? 'silent' }),
    notifications,
  });
  t.after(async () => {
    await deps.close();
    await rm(stateDir, { recursive: true, force: true });
  });
  return { deps, notifications };
}

/**
 * A task that fails, injected after the task under test so that it and every task before it
 * revert. `probe` sees the store values it `requires` first (to record what was there).
 */
export class InjectedFailure extends Task<TaskInputs, void> {
  readonly error = new Error('injected failure');
  constructor(
    requires: string[] = [],
    private readonly probe: (inputs: TaskInputs) => Promise<void> | void = () => {},
  ) {
    super({ name: 'InjectedFailure', requires });
  }

  async execute(inputs: TaskInputs): Promise<void> {
    await this.probe(inputs);
    throw this.error;
  }
}

/** `[in_use, reserved]` of each resource (0s for one without a usage row). */
export async function quotaOf(
  deps: CoreDeps,
  project: string,
  resources: readonly string[],
): Promise<Record<string, [number, number]>> {
  const rows = await deps.dbh.db
    .selectFrom('quota_usages')
    .select(['resource', 'in_use', 'reserved'])
    .where('project_id', '=', project)
    .where('deleted', '=', 0)
    .execute();
  const out: Record<string, [number, number]> = {};
  for (const r of resources) {
    const row = rows.find((x) => x.resource === r);
    out[r] = [Number(row?.in_use ?? 0), Number(row?.reserved ?? 0)];
  }
  return out;
}

/** The raw volume row, deleted or not (undefined when never written). */
export function volumeRow(deps: CoreDeps, id: string) {
  return deps.dbh.db.selectFrom('volumes').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Event ids of the user messages about a resource, oldest first. */
export async function messageEvents(deps: CoreDeps, resourceId: string): Promise<string[]> {
  const rows = await deps.dbh.db
    .selectFrom('messages')
    .select(['event_id', 'created_at'])
    .where('resource_uuid', '=', resourceId)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => r.event_id);
}

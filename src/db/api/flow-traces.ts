/**
 * Flow traces (migration 011, Kindling's own): one row per run of a volume's create flow, written
 * once at the flow's end, read by the trace endpoint, removed once expired.
 */
import type { Db } from './common.js';
import type { FlowTracesTable } from '../schema.js';
import { formatTimestamp, isoNow } from '../../common/time.js';
import { preparedQuery } from '../prepared-query.js';
import { newTimeOrderedUuid } from '../../common/uuid.js';

/** What a stored trace holds, JSON columns parsed. */
export type StoredFlowTrace = Omit<FlowTracesTable, 'tasks' | 'decision'> & {
  tasks: unknown[];
  decision: unknown;
};

/**
 * What a new row needs (tasks and decision as values; they are stored as JSON; the timestamps as
 * src/common/time.ts `formatTimestamp` writes them).
 */
export type FlowTraceValues = Omit<StoredFlowTrace, 'id' | 'created_at' | 'expires_at'>;

/** A TEXT column holds 64 KiB on MySQL: a decision over very many pools keeps its head. */
const MAX_JSON = 60_000;

function json(value: unknown): string {
  const text = JSON.stringify(value);
  if (text.length <= MAX_JSON) return text;
  return JSON.stringify({ truncated: true, head: text.slice(0, MAX_JSON - 100) });
}

const insertTrace = preparedQuery((db, row: FlowTracesTable) => db.insertInto('flow_traces').values(row));

/** Stores one flow run; it expires `ttlSeconds` from now. Returns its id. */
export async function flowTraceCreate(db: Db, v: FlowTraceValues, ttlSeconds: number): Promise<string> {
  const now = new Date();
  const id = newTimeOrderedUuid(now.getTime());
  const row: FlowTracesTable = {
    id,
    volume_id: v.volume_id,
    project_id: v.project_id,
    request_id: v.request_id ? v.request_id.slice(0, 255) : null,
    flow: v.flow.slice(0, 255),
    host: v.host ? v.host.slice(0, 255) : null,
    outcome: v.outcome,
    started_at: v.started_at,
    finished_at: v.finished_at,
    duration_ms: Math.round(v.duration_ms),
    tasks: json(v.tasks),
    decision: v.decision === null || v.decision === undefined ? null : json(v.decision),
    created_at: isoNow(),
    expires_at: formatTimestamp(new Date(now.getTime() + ttlSeconds * 1000)),
  };
  await insertTrace(db, row);
  return id;
}

/** A volume's traces, oldest first (the api flow, then the scheduler's, then the manager's…). */
export async function flowTracesForVolume(db: Db, volumeId: string): Promise<StoredFlowTrace[]> {
  const rows = await db
    .selectFrom('flow_traces')
    .selectAll()
    .where('volume_id', '=', volumeId)
    .orderBy('started_at', 'asc')
    .orderBy('finished_at', 'asc')
    .execute();
  return rows.map((r) => ({
    ...r,
    tasks: JSON.parse(r.tasks) as unknown[],
    decision: r.decision === null ? null : (JSON.parse(r.decision) as unknown),
  }));
}

/** Removes traces past `expires_at` (the periodic reaper). Returns how many. */
export async function flowTracesDeleteExpired(db: Db, now = new Date()): Promise<number> {
  const res = await db
    .deleteFrom('flow_traces')
    .where('expires_at', '<', formatTimestamp(now))
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}

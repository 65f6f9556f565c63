/**
 * The process's Prometheus metrics: one registry per process, holding every counter and histogram
 * the code paths update as they run (HTTP requests, flow tasks, RPC messages, database queries,
 * backup bytes) and, once {@link enableProcessMetrics} has run, prom-client's `process_*` and
 * `nodejs_*` metrics. What is counted at scrape time (volumes by status, pool capacity, open
 * reservations) is not here but in the collectors a {@link MetricsSource} adds (./source.ts).
 *
 * Names and labels follow Prometheus' conventions: `kindling_` prefix, base units (`_seconds`,
 * `_bytes`), counters ending in `_total`, labels of low cardinality only (route patterns, never
 * URLs; RPC method names from the endpoints' own tables). docs/operations.md lists every metric.
 */
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** The registry of this process (not prom-client's global one, which libraries may fill). */
export const processRegistry = new Registry();

let processMetricsOn = false;

/** Adds prom-client's default `process_*` and `nodejs_*` metrics to the registry (once). */
export function enableProcessMetrics(): void {
  if (processMetricsOn) return;
  processMetricsOn = true;
  collectDefaultMetrics({ register: processRegistry });
}

/** Buckets for work measured in milliseconds to seconds (HTTP requests, RPC calls). */
const REQUEST_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Buckets for flow tasks: most take milliseconds, copying an image or a volume takes minutes. */
const TASK_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900];
/** Buckets for database statements and transactions. */
const DB_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

const registers = [processRegistry];

// ---- HTTP (the API: src/api/app.ts)
export const httpRequests = new Counter({
  name: 'kindling_http_requests_total',
  help: 'HTTP requests answered by the API, by route pattern, method and status code.',
  labelNames: ['route', 'method', 'code'] as const,
  registers,
});
export const httpRequestDuration = new Histogram({
  name: 'kindling_http_request_duration_seconds',
  help: 'Time from a request arriving to its answer being sent, by route pattern, method and status class (2xx, 4xx, 5xx).',
  labelNames: ['route', 'method', 'status_class'] as const,
  buckets: REQUEST_BUCKETS,
  registers,
});

// ---- flows (src/flow/: every flow the engine runs)
export const flowTaskDuration = new Histogram({
  name: 'kindling_flow_task_duration_seconds',
  help: "Time a flow task's execute took, by flow, task and outcome (success, failure).",
  labelNames: ['flow', 'task', 'outcome'] as const,
  buckets: TASK_BUCKETS,
  registers,
});
export const flowTaskReverts = new Counter({
  name: 'kindling_flow_task_reverts_total',
  help: 'Flow tasks reverted because the flow failed (the failing task included), by flow and task.',
  labelNames: ['flow', 'task'] as const,
  registers,
});
export const flowTaskRevertFailures = new Counter({
  name: 'kindling_flow_task_revert_failures_total',
  help: 'Reverts that failed themselves (they may leave something to clean up), by flow and task.',
  labelNames: ['flow', 'task'] as const,
  registers,
});
export const flowDuration = new Histogram({
  name: 'kindling_flow_duration_seconds',
  help: 'Time a whole flow took, by flow and outcome (success, reverted).',
  labelNames: ['flow', 'outcome'] as const,
  buckets: TASK_BUCKETS,
  registers,
});

// ---- RPC (src/rpc/metered.ts wraps the transport; the AMQP adapter counts retries)
export const rpcSent = new Counter({
  name: 'kindling_rpc_messages_sent_total',
  help: 'RPC messages sent, by method and type (cast, call).',
  labelNames: ['method', 'type'] as const,
  registers,
});
export const rpcSendFailures = new Counter({
  name: 'kindling_rpc_send_failures_total',
  help: 'RPC messages that could not be sent or got no answer, by method, type and reason (timeout, delivery).',
  labelNames: ['method', 'type', 'reason'] as const,
  registers,
});
export const rpcCallDuration = new Histogram({
  name: 'kindling_rpc_call_duration_seconds',
  help: 'Time an RPC call waited for its answer, by method and outcome (ok, error, timeout).',
  labelNames: ['method', 'outcome'] as const,
  buckets: REQUEST_BUCKETS,
  registers,
});
export const rpcReceived = new Counter({
  name: 'kindling_rpc_messages_received_total',
  help: 'RPC messages handled by this process, by method and outcome (ok, error).',
  labelNames: ['method', 'outcome'] as const,
  registers,
});
export const rpcHandlerDuration = new Histogram({
  name: 'kindling_rpc_handler_duration_seconds',
  help: 'Time this process spent handling an RPC message, by method and outcome (ok, error).',
  labelNames: ['method', 'outcome'] as const,
  buckets: TASK_BUCKETS,
  registers,
});
export const rpcPublishRetries = new Counter({
  name: 'kindling_rpc_publish_retries_total',
  help: 'Publishes to RabbitMQ tried again after the broker failed them (a broker outage shows here).',
  registers,
});
export const rpcDuplicatesDropped = new Counter({
  name: 'kindling_rpc_duplicates_dropped_total',
  help: 'RabbitMQ redeliveries of messages this process had already handled, dropped.',
  registers,
});

// ---- database (src/db/connection.ts: kysely's query log and the driver's transactions)
export const dbQueryDuration = new Histogram({
  name: 'kindling_db_query_duration_seconds',
  help: 'Time a database statement took, by operation (select, insert, update, delete, raw, other) and outcome (ok, error).',
  labelNames: ['operation', 'outcome'] as const,
  buckets: DB_BUCKETS,
  registers,
});
export const dbTransactionDuration = new Histogram({
  name: 'kindling_db_transaction_duration_seconds',
  help: 'Time from BEGIN to COMMIT or ROLLBACK of a database transaction, by outcome (commit, rollback).',
  labelNames: ['outcome'] as const,
  buckets: DB_BUCKETS,
  registers,
});

// ---- backups (src/volume/device-io.ts)
export const backupBytes = new Counter({
  name: 'kindling_backup_bytes_total',
  help: 'Volume bytes read by backups and written by restores, by operation (backup, restore); rate() is the throughput.',
  labelNames: ['operation'] as const,
  registers,
});

/**
 * Flow traces into the database: a TraceListener whose finished runs go to `flow_traces`
 * (src/db/api/flow-traces.ts), kept for `[DEFAULT] flow_trace_ttl` seconds.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { flowTraceCreate } from '../db/api/flow-traces.js';
import type { DatabaseHandle } from '../db/connection.js';
import type { LinearFlow } from '../flow/linear-flow.js';
import { TraceListener, type TraceListenerOptions } from './listener.js';

/** What storing traces needs of CoreDeps (declared above this layer). */
interface Deps {
  readonly dbh: DatabaseHandle;
  readonly config: Config;
  readonly log: Logger;
}

/** A trace listener for one run of `flow`, stored in the database when the flow ends. */
export function flowTraceListener(
  deps: Deps,
  flow: LinearFlow,
  opts: Omit<TraceListenerOptions, 'taskNames' | 'sink' | 'logger'>,
): TraceListener {
  const ttl = deps.config.DEFAULT.flow_trace_ttl;
  return new TraceListener({
    ...opts,
    taskNames: flow.tasks().map((t) => t.name),
    sink: async (trace) => {
      if (ttl <= 0) return;
      await flowTraceCreate(deps.dbh.db, trace, ttl);
    },
    logger: deps.log,
  });
}
